package server

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/iamerr"
)

// RaftServer is one entry of the Raft configuration.
type RaftServer struct {
	ID      string
	Address string
	Leader  bool
	Voter   bool
}

// RaftConfig is sys/storage/raft/configuration's answer.
type RaftConfig struct {
	Index   uint64
	Servers []RaftServer
}

func (n *Node) liveRaft() (*raft.Raft, error) {
	if n.removed.Load() {
		return nil, errRemoved()
	}
	r := n.Raft()
	if r == nil {
		return nil, iamerr.New(iamerr.Unavailable, "raft is not running on this node")
	}
	return r, nil
}

// RaftConfiguration returns this node's view of the Raft configuration.
func (n *Node) RaftConfiguration() (*RaftConfig, error) {
	r, err := n.liveRaft()
	if err != nil {
		return nil, err
	}
	f := r.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, iamerr.New(iamerr.Unavailable, "read raft configuration: %v", err)
	}
	_, leaderID := r.LeaderWithID()
	out := &RaftConfig{Index: f.Index()}
	for _, s := range f.Configuration().Servers {
		out.Servers = append(out.Servers, RaftServer{
			ID: string(s.ID), Address: string(s.Address), Leader: s.ID == leaderID, Voter: s.Suffrage == raft.Voter,
		})
	}
	return out, nil
}

// RemovePeer removes a server from the Raft configuration. On a follower it
// is forwarded to the leader. The removed node is told, and also finds out
// by itself, that it was removed (it then stops serving writes).
func (n *Node) RemovePeer(ctx context.Context, id string) error {
	if id == "" {
		return iamerr.New(iamerr.Invalid, "no server id provided")
	}
	r, err := n.liveRaft()
	if err != nil {
		return err
	}
	if r.State() != raft.Leader {
		return n.forwardRemovePeer(ctx, id)
	}
	cfg, err := n.RaftConfiguration()
	if err != nil {
		return err
	}
	found, voters := false, 0
	for _, s := range cfg.Servers {
		found = found || s.ID == id
		if s.Voter {
			voters++
		}
	}
	if !found {
		return iamerr.New(iamerr.Invalid, "no server with id %q in the raft configuration", id)
	}
	if len(cfg.Servers) == 1 {
		return iamerr.New(iamerr.Invalid, "cannot remove %q: it is the only server of the cluster", id)
	}
	if id == n.id {
		return n.removeSelfAsLeader(ctx, r, id)
	}
	apiAddr := ""
	if p := n.State().Peer(id); p != nil {
		apiAddr = p.APIAddr
	}
	if err := r.RemoveServer(raft.ServerID(id), 0, n.applyTimeout).Error(); err != nil {
		return iamerr.New(iamerr.Unavailable, "remove %q from the raft configuration: %v", id, err)
	}
	if m := n.getMembership(); m != nil && apiAddr != "" {
		go m.NotifyRemoved(context.Background(), id, apiAddr)
	}
	// The addresses are bookkeeping: if this node removed itself it is no
	// longer leader, and the write is forwarded like any other.
	if _, err := n.apply(ctx, fsm.CmdDeletePeer, fsm.DeletePeer{ID: id}); err != nil {
		n.log.Warn("peer removed from raft but its addresses remain", "id", id, "error", err)
	}
	return nil
}

// removeSelfAsLeader removes the leader itself. A hashicorp/raft leader
// that removes itself shuts its Raft down as soon as the change commits,
// and v1.7.3 can then leave the change's future unanswered (when its FSM
// goroutine sees the shutdown before the committed entry): the caller
// would wait for ever. So the leader hands leadership over first, and the
// new leader removes this node as it removes any follower, deleting its
// addresses too, which this node could not once it is no longer a member.
func (n *Node) removeSelfAsLeader(ctx context.Context, r *raft.Raft, id string) error {
	if err := r.LeadershipTransfer().Error(); err != nil {
		return iamerr.New(iamerr.Unavailable, "cannot remove %q, the leader: handing leadership over failed: %v", id, err)
	}
	return n.forwardRemovePeer(ctx, id)
}

// forwardRemovePeer asks the leader to remove id.
func (n *Node) forwardRemovePeer(ctx context.Context, id string) error {
	m := n.getMembership()
	if m == nil {
		return iamerr.New(iamerr.Unavailable, "no active iamd node found")
	}
	return m.ForwardRemovePeer(ctx, id)
}

// RegisterPeer records a member's addresses in the replicated state, so
// that every node can find the leader's API and the gossip pool.
func (n *Node) RegisterPeer(ctx context.Context, p fsm.Peer) error {
	if old := n.State().Peer(p.ID); old != nil && old.APIAddr == p.APIAddr && old.RaftAddr == p.RaftAddr &&
		old.GossipAddr == p.GossipAddr {
		return nil
	}
	p.UpdatedAt = n.now().UTC()
	_, err := n.apply(ctx, fsm.CmdSetPeer, fsm.SetPeer{Peer: p})
	return err
}

// PeerAPIAddr returns a member's API address: from gossip when the member
// is alive there, else from the replicated peer table.
func (n *Node) PeerAPIAddr(id string) string {
	if id == n.id {
		return n.apiAddr
	}
	if dp, ok := n.peers.Load().(*PeerDirectory); ok && dp != nil {
		if a := (*dp).APIAddr(id); a != "" {
			return a
		}
	}
	if p := n.State().Peer(id); p != nil {
		return p.APIAddr
	}
	return ""
}

// HANode is one line of sys/ha-status.
type HANode struct {
	ID          string
	APIAddr     string
	ClusterAddr string
	Active      bool
	// LastEcho is when gossip last heard from the node; nil for the
	// active node, as in Vault.
	LastEcho *time.Time
}

// HAStatus lists the servers of the Raft configuration.
func (n *Node) HAStatus() ([]HANode, error) {
	cfg, err := n.RaftConfiguration()
	if err != nil {
		return nil, err
	}
	members := n.memberMap()
	now := n.now().UTC()
	var out []HANode
	for _, s := range cfg.Servers {
		h := HANode{ID: s.ID, APIAddr: n.PeerAPIAddr(s.ID), ClusterAddr: s.Address, Active: s.Leader}
		if !s.Leader {
			echo := now
			if m, ok := members[s.ID]; ok && m.Status != "alive" {
				echo = m.Since
			}
			h.LastEcho = &echo
		}
		out = append(out, h)
	}
	return out, nil
}

func (n *Node) memberMap() map[string]Member {
	out := map[string]Member{}
	for _, m := range n.Members() {
		out[m.ID] = m
	}
	return out
}

// AutopilotServer is one server in sys/storage/raft/autopilot/state.
type AutopilotServer struct {
	ID          string
	Address     string
	NodeStatus  string // alive, left, failed, unknown
	LastContact time.Duration
	LastTerm    uint64
	LastIndex   uint64
	Healthy     bool
	StableSince time.Time
	Status      string // leader, voter, non-voter
}

// AutopilotState summarises the health of every server.
type AutopilotState struct {
	Healthy          bool
	FailureTolerance int
	Leader           string
	Voters           []string
	NonVoters        []string
	Servers          []AutopilotServer
}

// Autopilot health thresholds, Vault's defaults.
const (
	LastContactThreshold = 10 * time.Second
	MaxTrailingLogs      = 1000
)

// AutopilotState reports each server's health from local Raft and the
// indexes and leader contact each member gossips about itself.
func (n *Node) AutopilotState() (*AutopilotState, error) {
	cfg, err := n.RaftConfiguration()
	if err != nil {
		return nil, err
	}
	r := n.Raft()
	stats := r.Stats()
	members := n.memberMap()
	leaderIndex := r.LastIndex()
	out := &AutopilotState{}
	healthyVoters := 0
	for _, s := range cfg.Servers {
		as := AutopilotServer{ID: s.ID, Address: s.Address, NodeStatus: "unknown", LastContact: -1, Status: "non-voter"}
		if s.Voter {
			as.Status = "voter"
			out.Voters = append(out.Voters, s.ID)
		} else {
			out.NonVoters = append(out.NonVoters, s.ID)
		}
		if s.Leader {
			as.Status = "leader"
			out.Leader = s.ID
		}
		if m, ok := members[s.ID]; ok {
			as.NodeStatus, as.LastTerm, as.LastIndex, as.StableSince = m.Status, m.LastTerm, m.LastIndex, m.Since
			as.LastContact = m.LastContact
			if m.IsLeader {
				leaderIndex = max(leaderIndex, m.LastIndex)
			}
		}
		if s.ID == n.id {
			as.NodeStatus = "alive"
			as.LastIndex = r.LastIndex()
			as.LastTerm, _ = strconv.ParseUint(stats["last_log_term"], 10, 64)
			as.LastContact = 0
			if !s.Leader {
				as.LastContact = time.Since(r.LastContact())
			}
		}
		if s.Leader {
			as.LastContact = 0
		}
		out.Servers = append(out.Servers, as)
	}
	for i := range out.Servers {
		as := &out.Servers[i]
		as.Healthy = as.NodeStatus == "alive" && as.LastContact >= 0 && as.LastContact < LastContactThreshold &&
			as.LastIndex+MaxTrailingLogs >= leaderIndex
		if as.Healthy && as.Status != "non-voter" {
			healthyVoters++
		}
	}
	quorum := len(out.Voters)/2 + 1
	out.FailureTolerance = max(healthyVoters-quorum, 0)
	out.Healthy = out.Leader != "" && healthyVoters >= quorum
	for _, as := range out.Servers {
		out.Healthy = out.Healthy && as.Healthy
	}
	sort.Strings(out.Voters)
	sort.Strings(out.NonVoters)
	return out, nil
}
