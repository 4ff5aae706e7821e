package config

import (
	"strings"
	"testing"
	"time"
)

// withCluster adds lines to the cluster block of the good config.
func withCluster(lines string) string {
	return strings.Replace(good, `retry_join     = ["127.0.0.1:8302"]`, `retry_join     = ["127.0.0.1:8302"]
`+lines, 1)
}

func TestRaftTimeouts(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name, lines string
		want        RaftTimeouts
	}{
		{"defaults", "", RaftTimeouts{500 * ms, 500 * ms, 500 * ms, 5 * ms}},
		{"heartbeat only: the others follow it", `heartbeat_timeout = "2s"`, RaftTimeouts{2 * time.Second, 2 * time.Second, 2 * time.Second, 5 * ms}},
		{"all three", "heartbeat_timeout = \"1s\"\nelection_timeout = \"1500ms\"\nleader_lease_timeout = \"500ms\"",
			RaftTimeouts{time.Second, 1500 * ms, 500 * ms, 5 * ms}},
		{"lease shorter than the default heartbeat", `leader_lease_timeout = "100ms"`, RaftTimeouts{500 * ms, 500 * ms, 100 * ms, 5 * ms}},
		{"election longer than the default heartbeat", `election_timeout = "3s"`, RaftTimeouts{500 * ms, 3 * time.Second, 500 * ms, 5 * ms}},
		{"commit timeout", `commit_timeout = "50ms"`, RaftTimeouts{500 * ms, 500 * ms, 500 * ms, 50 * ms}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse("config.hcl", []byte(withCluster(tc.lines)))
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Cluster.RaftTimeouts(); got != tc.want {
				t.Fatalf("RaftTimeouts() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRaftTimeoutsRejected(t *testing.T) {
	cases := []struct {
		name, lines, want string
	}{
		{"not a duration", `heartbeat_timeout = "fast"`, `config.hcl:15: heartbeat_timeout "fast" must be a duration of at least 5ms`},
		{"no unit", `election_timeout = "500"`, `config.hcl:15: election_timeout "500" must be a duration`},
		{"below raft's minimum", `leader_lease_timeout = "1ms"`, `config.hcl:15: leader_lease_timeout "1ms" must be a duration of at least 5ms`},
		{"zero", `heartbeat_timeout = "0s"`, `heartbeat_timeout "0s" must be a duration of at least 5ms`},
		{"negative", `election_timeout = "-1s"`, `election_timeout "-1s" must be a duration`},
		{"election shorter than heartbeat", "heartbeat_timeout = \"1s\"\nelection_timeout = \"500ms\"",
			`config.hcl:16: election_timeout "500ms" must not be shorter than heartbeat_timeout (1s)`},
		{"election shorter than the default heartbeat", `election_timeout = "200ms"`,
			`config.hcl:15: election_timeout "200ms" must not be shorter than heartbeat_timeout (500ms, the default)`},
		{"lease longer than heartbeat", "heartbeat_timeout = \"300ms\"\nleader_lease_timeout = \"1s\"",
			`config.hcl:16: leader_lease_timeout "1s" must not be longer than heartbeat_timeout (300ms)`},
		{"lease longer than the default heartbeat", `leader_lease_timeout = "1s"`,
			`leader_lease_timeout "1s" must not be longer than heartbeat_timeout (500ms, the default)`},
		{"a number, not a duration", `heartbeat_timeout = 500`, `heartbeat_timeout "500" must be a duration`},
		{"commit timeout not a duration", `commit_timeout = "soon"`, `config.hcl:15: commit_timeout "soon" must be a duration of at least 1ms`},
		{"commit timeout too short", `commit_timeout = "100us"`, `commit_timeout "100us" must be a duration of at least 1ms`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("config.hcl", []byte(withCluster(tc.lines)))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
