package server

import (
	"github.com/hashicorp/raft"

	"iamd/server/config"
)

// tuneTimeouts applies the cluster block's heartbeat_timeout,
// election_timeout and leader_lease_timeout (config.RaftTimeouts, defaults
// 500 ms each) and commit_timeout (default 5 ms, see raftConfig) to c.
//
// Why these defaults (hashicorp/raft v1.7.3, raft.go): when the leader
// dies, the first survivor whose heartbeat timer fires asks for pre-votes,
// and the other survivor refuses them for as long as it still counts the
// dead leader as its leader, that is until its own timer fires; the timers
// fire at random intervals of one to two heartbeat timeouts. So with two
// survivors a new leader is elected only after the later of them, about
// twice the heartbeat timeout: 2 s with raft's 1 s default, about 1 s here.
//
// What the shorter timeouts cost: the leader steps down when it has not
// heard from a majority for leader_lease_timeout (raft's default is half the
// heartbeat timeout; here it is the whole of it, the most raft allows: the
// lease only decides when to step down, raft serves no reads on it). A
// follower that misses heartbeats alone cannot depose a healthy leader: its
// pre-votes are refused by the nodes that still hear from it.
func tuneTimeouts(cl *config.Cluster, c *raft.Config) {
	t := cl.RaftTimeouts()
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = t.Heartbeat, t.Election, t.LeaderLease
	c.CommitTimeout = t.Commit
}
