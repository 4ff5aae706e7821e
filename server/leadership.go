package server

import (
	"time"

	"github.com/hashicorp/raft"
)

// Leadership tracking for sys/leader's active_time: when this node last
// became the leader. Each Raft instance the node opens reports leader
// changes to one non-blocking observer channel, which never holds up Raft.

// observeLeadership registers the node's leader observer on r; call it as
// soon as r exists.
func (n *Node) observeLeadership(r *raft.Raft) {
	r.RegisterObserver(raft.NewObserver(n.leaderEvents, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	}))
	if r.State() == raft.Leader {
		n.activeSince.CompareAndSwap(0, n.now().UnixNano())
	}
}

// leadershipLoop records when this node becomes the leader and forgets it
// when it stops being the leader.
func (n *Node) leadershipLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case o := <-n.leaderEvents:
			if o.Raft != n.Raft() {
				continue // from a Raft instance this node has closed
			}
			if o.Data.(raft.LeaderObservation).LeaderID == raft.ServerID(n.id) {
				n.activeSince.CompareAndSwap(0, n.now().UnixNano())
			} else {
				n.activeSince.Store(0)
			}
		}
	}
}

// activeTime is when this node became the leader, zero when it is not.
func (n *Node) activeTime() time.Time {
	if v := n.activeSince.Load(); v != 0 {
		return time.Unix(0, v).UTC()
	}
	return time.Time{}
}
