package config

import (
	"strings"
	"testing"
	"time"
)

const good = `
node_id  = "node1"
data_dir = "./data/node1"
api_addr = "http://127.0.0.1:8200"

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
}

cluster {
  raft_address   = "127.0.0.1:8201"
  gossip_address = "127.0.0.1:8301"
  retry_join     = ["127.0.0.1:8302"]
}
`

func TestParseGood(t *testing.T) {
	n, err := Parse("config.hcl", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if n.NodeID != "node1" || n.Cluster.RaftAddress != "127.0.0.1:8201" || n.Listener[0].MaxRequestSize != DefaultMaxRequestSize {
		t.Fatalf("unexpected config: %+v", n)
	}
	if len(n.Cluster.RetryJoin) != 1 {
		t.Fatalf("retry_join = %v", n.Cluster.RetryJoin)
	}
}

func TestParseErrorsCarryFileAndLine(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown key", strings.Replace(good, `data_dir = "./data/node1"`, "data_dir = \"x\"\nbogus = 1", 1), "config.hcl:4: Unsupported argument"},
		{"bad node id", strings.Replace(good, `"node1"`, `"no de"`, 1), "config.hcl:2: node_id"},
		{"bad raft address", strings.Replace(good, `"127.0.0.1:8201"`, `"nope"`, 1), "config.hcl:12: raft_address"},
		{"bad api addr", strings.Replace(good, `"http://127.0.0.1:8200"`, `"ftp://x"`, 1), "config.hcl:4: api_addr"},
		{"wrong type", strings.Replace(good, `tls_disable = true`, `tls_disable = "maybe"`, 1), "config.hcl:8: Unsuitable value type"},
		{"missing cluster", good[:strings.Index(good, "cluster {")], "cluster block"},
		{"syntax", good + "\n{", "config.hcl:17"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("config.hcl", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRepoExampleConfigLoads(t *testing.T) {
	if _, err := Load("../../config.hcl"); err != nil {
		t.Fatal(err)
	}
}

func TestRaftAdvertiseAddress(t *testing.T) {
	n, err := Parse("config.hcl", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if n.Cluster.RaftAdvertise() != "127.0.0.1:8201" {
		t.Fatalf("default advertise = %q", n.Cluster.RaftAdvertise())
	}
	src := strings.Replace(good, `raft_address   = "127.0.0.1:8201"`, `raft_address = "127.0.0.1:8201"
  raft_advertise_address = "127.0.0.1:9201"`, 1)
	if n, err = Parse("config.hcl", []byte(src)); err != nil || n.Cluster.RaftAdvertise() != "127.0.0.1:9201" {
		t.Fatalf("advertise = %v %v", n, err)
	}
	bad := strings.Replace(good, `raft_address   = "127.0.0.1:8201"`, `raft_address = "127.0.0.1:8201"
  raft_advertise_address = "nope"`, 1)
	if _, err := Parse("config.hcl", []byte(bad)); err == nil || !strings.Contains(err.Error(), "raft_advertise_address") {
		t.Fatalf("bad advertise address accepted: %v", err)
	}
}

func TestListenerLimitsAndTimeouts(t *testing.T) {
	n, err := Parse("config.hcl", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	l := n.Listener[0]
	if l.MaxConcurrentRequests != DefaultMaxConcurrentRequests || l.ClientMaxConcurrentRequests != DefaultClientMaxConcurrentRequests ||
		l.Timeouts() != DefaultHTTPTimeouts {
		t.Fatalf("defaults: %+v %+v", l, l.Timeouts())
	}
	src := strings.Replace(good, "tls_disable = true", `tls_disable = true
  client_requests_per_second = 50
  http_read_timeout = "5s"
  http_write_timeout = "1m"`, 1)
	if n, err = Parse("config.hcl", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if to := n.Listener[0].Timeouts(); to.Read != 5*time.Second || to.Write != time.Minute || to.ReadHeader != DefaultHTTPReadHeaderTimeout ||
		n.Listener[0].ClientRequestsPerSecond != 50 {
		t.Fatalf("configured: %+v", to)
	}
	bad := strings.Replace(good, "tls_disable = true", `tls_disable = true
  http_idle_timeout = "soon"`, 1)
	if _, err := Parse("config.hcl", []byte(bad)); err == nil || !strings.Contains(err.Error(), "http_idle_timeout") {
		t.Fatalf("bad timeout accepted: %v", err)
	}
}
