package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"iamd/iamerr"
	"iamd/server/keyring"
)

// Membership is the cluster package's side of a node: joining a cluster
// over the network, the gossip view of the members, and calls that must
// run on the leader. Node operations delegate to it; a dev node has none.
type Membership interface {
	// Join makes this node a voter of the cluster led from
	// req.LeaderAPIAddr, or reports that it already is one.
	Join(ctx context.Context, req JoinRequest) (*JoinResult, error)
	// Members is the gossip view of the cluster, this node included.
	Members() []Member
	// ForwardRemovePeer asks the leader to remove a server.
	ForwardRemovePeer(ctx context.Context, id string) error
	// NotifyRemoved tells a removed node, best effort, that it was removed.
	NotifyRemoved(ctx context.Context, id, apiAddr string)
	// ProxyToLeader relays an HTTP request to the leader's API unchanged
	// and copies the answer back, for the few requests that must run on
	// the leader but are not log entries (raft snapshots).
	ProxyToLeader(w http.ResponseWriter, r *http.Request)
}

// SetMembership installs the cluster package's implementation.
func (n *Node) SetMembership(m Membership) { n.membership.Store(&m) }

func (n *Node) getMembership() Membership {
	if p, ok := n.membership.Load().(*Membership); ok && p != nil {
		return *p
	}
	return nil
}

// Member is one node as gossip sees it.
type Member struct {
	ID       string
	APIAddr  string
	RaftAddr string
	// Status is memberlist's view: alive, suspect, failed or left.
	Status string
	// Health is what the node reports about itself: ok, uninitialized,
	// removed.
	Health       string
	IsLeader     bool
	AppliedIndex uint64
	LastIndex    uint64
	LastTerm     uint64
	// LastContact is the node's last contact with the leader; 0 on the
	// leader, negative when unknown.
	LastContact time.Duration
	// Since is when this member was last seen joining or changing status.
	Since time.Time
}

// JoinRequest is sys/storage/raft/join's input on the joining node.
type JoinRequest struct {
	LeaderAPIAddr string
	// Token authorises the join on the leader: it must carry the root
	// policy there.
	Token string
	// LeaderCACert is a PEM CA bundle to verify the leader's API
	// certificate with.
	LeaderCACert string
	// Retry keeps trying in the background until the join succeeds.
	Retry bool
	// Reset discards this node's Raft state and keyring first; allowed
	// only on a node that was removed or that is a cluster of its own.
	Reset bool
}

// Join outcomes, reported as they are instead of Vault's constant
// "joined: true" (spec/vault.md §10.8).
const (
	JoinOutcomeJoined        = "joined"
	JoinOutcomeAlreadyMember = "already_member"
	JoinOutcomeRetrying      = "retrying"
)

// JoinResult says what a join did.
type JoinResult struct {
	Outcome     string
	NodeID      string
	ClusterID   string
	ClusterName string
	// Voter is false when the node was added but not yet promoted (it was
	// still catching up when the join returned; the leader promotes it).
	Voter bool
}

// Join joins this node to a cluster (see Membership.Join).
func (n *Node) Join(ctx context.Context, req JoinRequest) (*JoinResult, error) {
	if n.dev {
		return nil, iamerr.New(iamerr.Invalid, "a dev node cannot join a cluster")
	}
	m := n.getMembership()
	if m == nil {
		return nil, iamerr.New(iamerr.Unavailable, "clustering is not running on this node")
	}
	return m.Join(ctx, req)
}

// ProxyToLeader relays r to the leader (see Membership.ProxyToLeader).
func (n *Node) ProxyToLeader(w http.ResponseWriter, r *http.Request) error {
	m := n.getMembership()
	if m == nil {
		return iamerr.New(iamerr.Unavailable, "no active iamd node found")
	}
	m.ProxyToLeader(w, r)
	return nil
}

// Members returns the gossip view of the cluster, nil without gossip.
func (n *Node) Members() []Member {
	if m := n.getMembership(); m != nil {
		return m.Members()
	}
	return nil
}

// Removed reports whether this node learnt that it was removed from its
// cluster.
func (n *Node) Removed() bool { return n.removed.Load() }

func errRemoved() error {
	return iamerr.WithCode(iamerr.Unavailable, "removed_from_cluster",
		"this node was removed from the cluster and serves no writes; reset and rejoin it with `iamd operator raft join -reset LEADER_API_ADDR`")
}

// ErrRemoved is the error a removed node answers writes with.
func ErrRemoved() error { return errRemoved() }

const removedMarker = "removed.json"

func removedMarkerExists(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, removedMarker))
	return err == nil
}

// MarkRemoved records that this node is no longer in the Raft
// configuration: it writes a marker in the data directory (so a restart
// remembers it) and stops Raft, so the node neither campaigns with its stale
// configuration nor accepts writes. Reads of its stale state remain.
func (n *Node) MarkRemoved(reason string) {
	if n.dev || !n.removed.CompareAndSwap(false, true) {
		return
	}
	raw, _ := json.Marshal(map[string]any{"removed_at": n.now().UTC(), "reason": reason})
	if err := os.WriteFile(filepath.Join(n.dataDir, removedMarker), raw, 0o600); err != nil {
		n.log.Error("cannot record removal", "error", err)
	}
	n.log.Warn("this node was removed from the cluster; stopping raft", "reason", reason)
	n.raftMu.Lock()
	defer n.raftMu.Unlock()
	if err := n.closeRaft(); err != nil {
		n.log.Warn("raft shutdown after removal", "error", err)
	}
}

// Reset discards this node's Raft log, snapshots, keyring and state and
// restarts Raft empty, ready to join a cluster. It refuses on a node that
// is a live member of a cluster of several servers: remove it first.
func (n *Node) Reset() error {
	if n.dev {
		return iamerr.New(iamerr.Invalid, "a dev node cannot be reset")
	}
	n.initMu.Lock()
	defer n.initMu.Unlock()
	if !n.removed.Load() {
		if servers := n.localServers(); len(servers) > 1 {
			return iamerr.New(iamerr.Conflict,
				"node %s is a member of a %d-server cluster: remove it (iamd operator raft remove-peer %s) before resetting it",
				n.id, len(servers), n.id)
		}
	}
	select {
	case <-n.stop:
		return iamerr.New(iamerr.Unavailable, "node is shutting down")
	default:
	}
	n.raftMu.Lock()
	defer n.raftMu.Unlock()
	if err := n.closeRaft(); err != nil && !errors.Is(err, context.Canceled) {
		n.log.Warn("raft shutdown before reset", "error", err)
	}
	for _, p := range []string{filepath.Join(n.dataDir, "raft"), filepath.Join(n.dataDir, keyring.FileName),
		filepath.Join(n.dataDir, removedMarker)} {
		if err := os.RemoveAll(p); err != nil {
			return iamerr.New(iamerr.Internal, "reset: %v", err)
		}
	}
	n.keyring.Store(nil)
	n.fsm.Reset()
	n.removed.Store(false)
	n.log.Info("node reset: raft state and keyring discarded")
	if err := n.openRaft(); err != nil {
		return iamerr.New(iamerr.Internal, "reset: restart raft: %v", err)
	}
	return nil
}

// localServers returns the server IDs of this node's latest Raft
// configuration.
func (n *Node) localServers() []string {
	r := n.Raft()
	if r == nil {
		return nil
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	var ids []string
	for _, s := range f.Configuration().Servers {
		ids = append(ids, string(s.ID))
	}
	return ids
}

// InstallKeyring stores the cluster's root key received while joining,
// before any log entry arrives, so the node can always restart. It reports
// whether it wrote a new keyring (false when the same one was there).
func (n *Node) InstallKeyring(root []byte) (bool, error) {
	n.initMu.Lock()
	defer n.initMu.Unlock()
	if k := n.keyring.Load(); k != nil {
		if bytes.Equal(k.Export(), root) {
			return false, nil
		}
		return false, iamerr.New(iamerr.Conflict,
			"node %s already holds the keyring of another cluster (rerun the join with -reset to discard it)", n.id)
	}
	k, err := keyring.FromRoot(root)
	if err != nil {
		return false, iamerr.New(iamerr.Invalid, "%v", err)
	}
	if err := k.Save(n.dataDir); err != nil {
		return false, iamerr.New(iamerr.Internal, "write keyring: %v", err)
	}
	n.keyring.Store(k)
	return true, nil
}

// DropKeyring undoes InstallKeyring after a failed join, leaving the node
// as it was.
func (n *Node) DropKeyring() {
	n.initMu.Lock()
	defer n.initMu.Unlock()
	os.Remove(filepath.Join(n.dataDir, keyring.FileName))
	n.keyring.Store(nil)
}

// HasRaftState reports whether this node holds any Raft log or state.
func (n *Node) HasRaftState() bool {
	if n.Initialized() {
		return true
	}
	r := n.Raft()
	return r != nil && r.LastIndex() > 0
}

// WaitForIndex blocks until this node has applied Raft index idx, or ctx
// ends; it is how a read honours the index a client got from its write.
func (n *Node) WaitForIndex(ctx context.Context, idx uint64) error {
	return n.fsm.WaitForIndex(ctx, idx)
}

// ApplyTimeout is how long a write may wait for Raft.
func (n *Node) ApplyTimeout() time.Duration { return n.applyTimeout }

// IsDev reports whether this is a dev node.
func (n *Node) IsDev() bool { return n.dev }
