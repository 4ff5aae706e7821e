package server

import (
	"time"

	"github.com/hashicorp/raft"
)

// PeerDirectory maps Raft server IDs to API addresses; the cluster package
// fills it from gossip and the FSM.
type PeerDirectory interface {
	APIAddr(serverID string) string
}

// SetPeerDirectory installs the lookup used to report the leader's API
// address.
func (n *Node) SetPeerDirectory(d PeerDirectory) { n.peers.Store(&d) }

// Status is what sys/health and sys/leader report about this node.
type Status struct {
	Initialized       bool
	IsLeader          bool
	HasLeader         bool
	LeaderID          string
	LeaderAPIAddr     string
	LeaderClusterAddr string
	ActiveTime        time.Time
	CommittedIndex    uint64
	AppliedIndex      uint64
	ClusterID         string
	ClusterName       string
	// Removed is set once this node learns it was removed from the
	// cluster; it then serves no writes until reset.
	Removed bool
}

// Status reads this node's view of the cluster without any network call.
func (n *Node) Status() Status {
	st := Status{AppliedIndex: n.fsm.AppliedIndex(), Removed: n.removed.Load()}
	if c := n.fsm.State().Cluster(); c != nil {
		st.Initialized, st.ClusterID, st.ClusterName = true, c.ClusterID, c.ClusterName
	}
	r := n.Raft()
	if r == nil || st.Removed {
		return st
	}
	st.CommittedIndex = r.CommitIndex()
	st.IsLeader = r.State() == raft.Leader
	addr, id := r.LeaderWithID()
	st.LeaderID = string(id)
	st.LeaderClusterAddr = string(addr)
	st.HasLeader = addr != ""
	if st.IsLeader {
		st.LeaderAPIAddr, st.ActiveTime = n.apiAddr, n.activeTime()
	} else if id != "" {
		st.LeaderAPIAddr = n.PeerAPIAddr(string(id))
	}
	return st
}

// LeaderAPIAddr returns the leader's API address, "" if unknown.
func (n *Node) LeaderAPIAddr() string { return n.Status().LeaderAPIAddr }
