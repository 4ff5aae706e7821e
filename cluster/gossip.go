package cluster

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"

	"iamd/server"
)

// nodeMeta is what each node gossips about itself (memberlist node meta,
// at most 512 bytes, hence the short keys).
type nodeMeta struct {
	ID      string `json:"id"`
	API     string `json:"api"`
	Raft    string `json:"raft"`
	Health  string `json:"h"` // ok, uninitialized, removed
	Cluster string `json:"c,omitempty"`
	Leader  bool   `json:"l,omitempty"`
	Applied uint64 `json:"ai,omitempty"`
	Last    uint64 `json:"li,omitempty"`
	Term    uint64 `json:"lt,omitempty"`
	// Contact is milliseconds since the node last heard from the leader;
	// -1 when it never did.
	Contact int64 `json:"lc"`
}

type memberEntry struct {
	meta   nodeMeta
	status string // alive, suspect, failed, left
	since  time.Time
	gossip string // gossip address
}

// memberTable is the gossip view, keyed by node ID. memberlist calls the
// event methods from its own goroutines.
type memberTable struct {
	mu sync.RWMutex
	m  map[string]memberEntry
}

func (t *memberTable) set(n *memberlist.Node, status string) {
	var meta nodeMeta
	if err := json.Unmarshal(n.Meta, &meta); err != nil || meta.ID == "" {
		meta.ID = n.Name
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]memberEntry{}
	}
	prev, ok := t.m[meta.ID]
	since := time.Now()
	if ok && prev.status == status {
		since = prev.since
	}
	t.m[meta.ID] = memberEntry{meta: meta, status: status, since: since, gossip: n.Address()}
}

func (t *memberTable) get(id string) (memberEntry, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.m[id]
	return e, ok
}

func (t *memberTable) all() []memberEntry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]memberEntry, 0, len(t.m))
	for _, e := range t.m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].meta.ID < out[j].meta.ID })
	return out
}

// delegate plugs the cluster into memberlist: it supplies this node's
// metadata and records everyone's joins, updates and departures.
type delegate struct {
	c    *Cluster
	meta atomic.Pointer[[]byte]
}

func (d *delegate) NodeMeta(limit int) []byte {
	if p := d.meta.Load(); p != nil && len(*p) <= limit {
		return *p
	}
	return nil
}
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

func (d *delegate) NotifyJoin(n *memberlist.Node)   { d.c.members.set(n, "alive") }
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.c.members.set(n, stateName(n.State)) }
func (d *delegate) NotifyLeave(n *memberlist.Node) {
	status := "failed"
	if n.State == memberlist.StateLeft {
		status = "left"
	}
	d.c.members.set(n, status)
	d.c.log.Info("member gone", "node", n.Name, "status", status)
}

func stateName(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateSuspect:
		return "suspect"
	case memberlist.StateDead:
		return "failed"
	case memberlist.StateLeft:
		return "left"
	}
	return "alive"
}

func (c *Cluster) startGossip() error {
	host, portStr, err := net.SplitHostPort(c.cfg.Cluster.GossipAddress)
	if err != nil {
		return fmt.Errorf("gossip_address: %w", err)
	}
	port, _ := strconv.Atoi(portStr)
	mc := memberlist.DefaultLANConfig()
	mc.Name = c.node.ID()
	mc.BindAddr, mc.BindPort = host, port
	if host != "" && host != "0.0.0.0" {
		mc.AdvertiseAddr, mc.AdvertisePort = host, port
	}
	if gk := c.cfg.Cluster.GossipKeyBytes(); gk != nil {
		mc.SecretKey = gk
	}
	d := &delegate{c: c}
	mc.Delegate, mc.Events = d, d
	mc.Logger = c.log.Named("gossip").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	if c.opts.Gossip != nil {
		c.opts.Gossip(mc)
	}
	c.delegate = d
	c.publishMeta()
	ml, err := memberlist.Create(mc)
	if err != nil {
		return fmt.Errorf("start gossip on %s: %w", c.cfg.Cluster.GossipAddress, err)
	}
	c.gossip = ml
	return nil
}

// localMeta describes this node now.
func (c *Cluster) localMeta() nodeMeta {
	st := c.node.Status()
	m := nodeMeta{ID: c.node.ID(), API: c.node.APIAddr(), Raft: c.node.RaftAddr(), Health: "ok",
		Cluster: st.ClusterID, Leader: st.IsLeader, Applied: st.AppliedIndex, Contact: -1}
	switch {
	case st.Removed:
		m.Health = "removed"
	case !st.Initialized:
		m.Health = "uninitialized"
	}
	if r := c.node.Raft(); r != nil && !st.Removed {
		m.Last = r.LastIndex()
		m.Term, _ = strconv.ParseUint(r.Stats()["term"], 10, 64)
		switch {
		case r.State() == raft.Leader:
			m.Contact = 0
		case !r.LastContact().IsZero():
			m.Contact = time.Since(r.LastContact()).Milliseconds()
		}
	}
	return m
}

// publishMeta stores the metadata memberlist hands out and reports
// whether it changed.
func (c *Cluster) publishMeta() bool {
	raw, _ := json.Marshal(c.localMeta())
	if old := c.delegate.meta.Load(); old != nil && string(*old) == string(raw) {
		return false
	}
	c.delegate.meta.Store(&raw)
	return true
}

// updateMeta pushes changed metadata to the other members.
func (c *Cluster) updateMeta() {
	if c.gossip == nil || !c.publishMeta() {
		return
	}
	if err := c.gossip.UpdateNode(c.opts.Interval); err != nil {
		c.log.Debug("gossip metadata update", "error", err)
	}
}

// APIAddr implements server.PeerDirectory from gossip.
func (c *Cluster) APIAddr(id string) string {
	if e, ok := c.members.get(id); ok && e.status == "alive" {
		return e.meta.API
	}
	return ""
}

// Members implements server.Membership.
func (c *Cluster) Members() []server.Member {
	var out []server.Member
	for _, e := range c.members.all() {
		m := server.Member{
			ID: e.meta.ID, APIAddr: e.meta.API, RaftAddr: e.meta.Raft, Status: e.status, Health: e.meta.Health,
			IsLeader: e.meta.Leader, AppliedIndex: e.meta.Applied, LastIndex: e.meta.Last, LastTerm: e.meta.Term,
			LastContact: -1, Since: e.since,
		}
		if e.meta.Contact >= 0 {
			m.LastContact = time.Duration(e.meta.Contact) * time.Millisecond
		}
		out = append(out, m)
	}
	return out
}
