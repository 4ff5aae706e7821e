package config

import (
	"os"
	"testing"
)

// FuzzParse loads arbitrary HCL as a node configuration: it must either
// fail with an error or give a configuration that holds what the rest of
// the node relies on, never panic. Seeds: the repository's config.hcl and
// this package's test configurations. `go test -fuzz=FuzzParse
// ./server/config/`.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../config.hcl"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(good))
	for _, s := range []string{
		`node_id = "n1"` + "\n" + `data_dir = "/d"` + "\nlistener \"tcp\" {\n address = \"127.0.0.1:1\"\n tls_disable = true\n http_read_timeout = \"1s\"\n client_requests_per_second = 2.5\n}\ncluster {\n raft_address = \"127.0.0.1:2\"\n snapshot_threshold = 10\n snapshot_interval = \"5ms\"\n raft_advertise_address = \"127.0.0.1:3\"\n}\n",
		`node_id = "${upper("x")}"`, `listener "tcp" { address = 1 }`, `cluster { retry_join = [1, "a:b", null] }`,
		"node_id = <<EOT\nx\nEOT\n", `a = [for x in [1,2]: x]`, `node_id = "a" node_id = "b"`, "\x00\xff{",
		`cluster { gossip_key = "AAAAAAAAAAAAAAAAAAAAAA==" apply_timeout = "-1s" }`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		n, err := Parse("fuzz.hcl", src)
		if err != nil {
			return
		}
		if len(n.Listener) != 1 || n.Cluster == nil || n.Listener[0].MaxRequestSize <= 0 || n.APIAddr == "" ||
			!nodeIDPattern.MatchString(n.NodeID) || n.Cluster.RaftAdvertise() == "" {
			t.Fatalf("accepted an inconsistent configuration: %+v", n)
		}
		n.Listener[0].Timeouts()
		n.Cluster.ApplyTimeoutOr(0)
		n.Cluster.GossipKeyBytes()
	})
}
