package server

import (
	"path/filepath"
	"testing"
	"time"
)

// The cluster block's Raft timings reach the Raft a configured node runs,
// and unset keys give the 500 ms defaults rather than raft's 1 s.
func TestConfiguredNodeRaftTimeouts(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name                               string
		heartbeat, election, lease, commit string
		want                               [4]time.Duration
	}{
		{"defaults", "", "", "", "", [4]time.Duration{500 * ms, 500 * ms, 500 * ms, 5 * ms}},
		{"configured", "700ms", "900ms", "300ms", "20ms", [4]time.Duration{700 * ms, 900 * ms, 300 * ms, 20 * ms}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, filepath.Join(t.TempDir(), "n1"))
			cfg.Cluster.HeartbeatTimeout, cfg.Cluster.ElectionTimeout, cfg.Cluster.LeaderLeaseTimeout = tc.heartbeat, tc.election, tc.lease
			cfg.Cluster.CommitTimeout = tc.commit
			n := startNode(t, cfg)
			defer n.Shutdown()
			c := n.raftConfig()
			if got := [4]time.Duration{c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout, c.CommitTimeout}; got != tc.want {
				t.Fatalf("raft config heartbeat, election, lease, commit = %v, want %v", got, tc.want)
			}
			rc := n.Raft().ReloadableConfig()
			if rc.HeartbeatTimeout != tc.want[0] || rc.ElectionTimeout != tc.want[1] {
				t.Fatalf("running raft: heartbeat %s, election %s; want %s, %s", rc.HeartbeatTimeout, rc.ElectionTimeout, tc.want[0], tc.want[1])
			}
		})
	}
}
