package config

import "time"

// DefaultHeartbeatTimeout is the default heartbeat_timeout; election_timeout
// and leader_lease_timeout default to the heartbeat timeout in use. Half of
// hashicorp/raft's 1 s: a follower notices a dead leader after one to three
// heartbeat timeouts, and with two survivors the election waits for the
// later of them, so 1 s made failover about 2 s (docs/benchmarks.md).
const DefaultHeartbeatTimeout = 500 * time.Millisecond

// DefaultCommitTimeout is the default commit_timeout: how long the leader
// waits without a new entry before it tells followers the commit index
// (raft's default is 50 ms). A follower answers a write it forwarded only
// once it has applied it, so this is that write's extra latency at low load.
const DefaultCommitTimeout = 5 * time.Millisecond

// minRaftTimeout is the smallest timeout hashicorp/raft accepts.
const minRaftTimeout = 5 * time.Millisecond

// RaftTimeouts are the Raft timings of the cluster block.
type RaftTimeouts struct {
	// Heartbeat: a follower that has not heard from the leader for this long
	// (checked at random intervals of one to two times it) starts an election.
	Heartbeat time.Duration
	// Election: a candidate that has not won within this long (randomised up
	// to twice it) starts a new election.
	Election time.Duration
	// LeaderLease: a leader that has not heard from a majority for this long
	// steps down.
	LeaderLease time.Duration
	// Commit: the leader sends followers the commit index after this long
	// without a new entry (randomised up to twice it).
	Commit time.Duration
}

// RaftTimeouts returns the configured timings, defaults for unset keys.
func (c *Cluster) RaftTimeouts() RaftTimeouts {
	hb := durationOr(c.HeartbeatTimeout, DefaultHeartbeatTimeout)
	return RaftTimeouts{
		Heartbeat:   hb,
		Election:    durationOr(c.ElectionTimeout, hb),
		LeaderLease: durationOr(c.LeaderLeaseTimeout, hb),
		Commit:      durationOr(c.CommitTimeout, DefaultCommitTimeout),
	}
}

func durationOr(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return def
}

// validateRaftTimeouts reports what hashicorp/raft would refuse at start
// (raft.ValidateConfig), against the keys the operator wrote.
func (c *Cluster) validateRaftTimeouts(v *validator) {
	ok := true
	for _, f := range []struct{ key, val string }{
		{"heartbeat_timeout", c.HeartbeatTimeout}, {"election_timeout", c.ElectionTimeout}, {"leader_lease_timeout", c.LeaderLeaseTimeout},
	} {
		if f.val == "" {
			continue
		}
		if d, err := time.ParseDuration(f.val); err != nil || d < minRaftTimeout {
			v.fail("cluster", f.key, "%s %q must be a duration of at least %s such as \"500ms\"", f.key, f.val, minRaftTimeout)
			ok = false
		}
	}
	if c.CommitTimeout != "" {
		if d, err := time.ParseDuration(c.CommitTimeout); err != nil || d < time.Millisecond {
			v.fail("cluster", "commit_timeout", "commit_timeout %q must be a duration of at least 1ms such as \"5ms\"", c.CommitTimeout)
		}
	}
	if !ok {
		return
	}
	t := c.RaftTimeouts()
	hb := t.Heartbeat.String()
	if c.HeartbeatTimeout == "" {
		hb += ", the default"
	}
	if t.Election < t.Heartbeat {
		v.fail("cluster", "election_timeout", "election_timeout %q must not be shorter than heartbeat_timeout (%s)", c.ElectionTimeout, hb)
	}
	if t.LeaderLease > t.Heartbeat {
		v.fail("cluster", "leader_lease_timeout", "leader_lease_timeout %q must not be longer than heartbeat_timeout (%s)", c.LeaderLeaseTimeout, hb)
	}
}
