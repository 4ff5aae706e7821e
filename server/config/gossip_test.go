package config

import (
	"strings"
	"testing"
)

func TestGossipKeyAndRetryJoin(t *testing.T) {
	key32 := "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
	cases := []struct {
		name, cluster, wantErr string
		keyLen                 int
	}{
		{"no key", `gossip_address = "127.0.0.1:8301"`, "", 0},
		{"32-byte key", `gossip_address = "127.0.0.1:8301"` + "\n" + `gossip_key = "` + key32 + `"`, "", 32},
		{"16-byte key", `gossip_key = "AAAAAAAAAAAAAAAAAAAAAA=="`, "", 16},
		{"not base64", `gossip_key = "%%%"`, "config.hcl:9: gossip_key must be base64", 0},
		{"wrong length", `gossip_key = "AAAA"`, "gossip_key must be base64 of 16, 24 or 32", 0},
		{"retry_join without gossip", `retry_join = ["127.0.0.1:8302"]`, "gossip_address must be set", 0},
		{"bad retry_join entry", `gossip_address = "127.0.0.1:8301"` + "\n" + `retry_join = ["nope"]`, "retry_join entry \"nope\"", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := `node_id = "n"
data_dir = "d"
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true
}
cluster {
  raft_address = "127.0.0.1:8201"
  ` + tc.cluster + `
}
`
			n, err := Parse("config.hcl", []byte(src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(n.Cluster.GossipKeyBytes()); got != tc.keyLen {
				t.Fatalf("key length %d, want %d", got, tc.keyLen)
			}
		})
	}
}
