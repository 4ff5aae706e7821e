package cluster_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"iamd/api"
	"iamd/internal/testport"
)

func TestJoinForwardingAndReadYourWrites(t *testing.T) {
	nodes := threeNodes(t)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	if got := voters(t, n1); !slices.Equal(got, []string{"n1", "n2", "n3"}) {
		t.Fatalf("voters %v", got)
	}

	t.Run("second join is a no-op that says so", func(t *testing.T) {
		r := join(t, n2, n1.url(), false)
		if r.status != 200 || r.body["outcome"] != "already_member" || r.body["voter"] != true {
			t.Fatalf("second join: %d %v", r.status, r.body)
		}
		// Through a follower too: any member answers for the cluster.
		if r := join(t, n3, n2.url(), false); r.body["outcome"] != "already_member" {
			t.Fatalf("join via follower: %d %v", r.status, r.body)
		}
		if got := voters(t, n1); len(got) != 3 {
			t.Fatalf("configuration changed: %v", got)
		}
	})

	t.Run("list-peers fields", func(t *testing.T) {
		sec, err := n3.client(rootToken).Logical().Read("sys/storage/raft/configuration")
		if err != nil {
			t.Fatal(err)
		}
		servers := sec.Data["config"].(map[string]any)["servers"].([]any)
		leaders := 0
		for _, s := range servers {
			m := s.(map[string]any)
			for _, k := range []string{"node_id", "address", "leader", "voter", "protocol_version"} {
				if _, ok := m[k]; !ok {
					t.Fatalf("server lacks %q: %v", k, m)
				}
			}
			if m["leader"] == true {
				leaders++
				if m["node_id"] != "n1" {
					t.Fatalf("leader %v", m)
				}
			}
		}
		if len(servers) != 3 || leaders != 1 {
			t.Fatalf("servers %v", servers)
		}
	})

	t.Run("writes through each follower are readable everywhere", func(t *testing.T) {
		for i, via := range []*testNode{n2, n3} {
			path := "userpass" + strconv.Itoa(i)
			r := do(t, "POST", via.url()+"/v1/sys/auth/"+path, rootToken, map[string]any{"type": "userpass"})
			if r.status != 204 {
				t.Fatalf("enable via %s: %d %s", via.id, r.status, r.errors())
			}
			idx := r.header.Get("X-Iamd-Index")
			if idx == "" {
				t.Fatalf("forwarded write carries no X-Iamd-Index")
			}
			for _, on := range nodes {
				got := do(t, "GET", on.url()+"/v1/sys/auth", rootToken, nil, "X-Iamd-Index", idx)
				if got.status != 200 || got.body[path+"/"] == nil {
					t.Fatalf("%s not visible on %s at index %s: %d %v", path, on.id, idx, got.status, got.body)
				}
			}
		}
	})

	t.Run("a token created on a follower authenticates on every node at once", func(t *testing.T) {
		for _, via := range nodes {
			tok, idx := createToken(t, via)
			for _, on := range nodes {
				r := do(t, "GET", on.url()+"/v1/auth/token/lookup-self", tok, nil, "X-Iamd-Index", idx)
				if r.status != 200 {
					t.Fatalf("token from %s on %s (index %s): %d %s", via.id, on.id, idx, r.status, r.errors())
				}
			}
		}
	})

	t.Run("an index not reached yet answers 412 after a bounded wait", func(t *testing.T) {
		old := api.ReadIndexWait
		api.ReadIndexWait = 300 * time.Millisecond
		defer func() { api.ReadIndexWait = old }()
		start := time.Now()
		r := do(t, "GET", n2.url()+"/v1/sys/auth", rootToken, nil, "X-Iamd-Index", "999999999")
		if r.status != 412 || !strings.Contains(r.errors(), "not yet 999999999") || time.Since(start) > 5*time.Second {
			t.Fatalf("%d %s after %s", r.status, r.errors(), time.Since(start))
		}
		if r := do(t, "GET", n2.url()+"/v1/sys/auth", rootToken, nil, "X-Iamd-Index", "x"); r.status != 400 {
			t.Fatalf("bad index header: %d", r.status)
		}
	})

	t.Run("no-forwarding header redirects writes to the leader", func(t *testing.T) {
		r := do(t, "POST", n3.url()+"/v1/auth/token/create?x=1", rootToken, map[string]any{},
			"X-Vault-No-Request-Forwarding", "true")
		if r.status != 307 || r.header.Get("Location") != n1.url()+"/v1/auth/token/create?x=1" {
			t.Fatalf("%d Location=%q", r.status, r.header.Get("Location"))
		}
		// Reads stay local.
		if r := do(t, "GET", n3.url()+"/v1/sys/auth", rootToken, nil, "X-Vault-No-Request-Forwarding", "1"); r.status != 200 {
			t.Fatalf("read with no-forwarding: %d", r.status)
		}
	})

	t.Run("standby status", func(t *testing.T) {
		c := n2.client("")
		leader, err := c.Sys().Leader()
		if err != nil {
			t.Fatal(err)
		}
		if leader.IsSelf || leader.LeaderAddress != n1.url() || leader.LeaderClusterAddress != "https://"+n1.cfg.Cluster.RaftAddress ||
			!leader.ActiveTime.IsZero() {
			t.Fatalf("sys/leader on a follower: %+v", leader)
		}
		if l, err := n1.client("").Sys().Leader(); err != nil || !l.IsSelf || l.ActiveTime.IsZero() {
			t.Fatalf("sys/leader on the leader: %+v %v", l, err)
		}
		if r := do(t, "GET", n2.url()+"/v1/sys/health", "", nil); r.status != 429 || r.body["standby"] != true {
			t.Fatalf("health on standby: %d %v", r.status, r.body)
		}
		ha, err := n2.client(rootToken).Sys().HAStatus()
		if err != nil || len(ha.Nodes) != 3 {
			t.Fatalf("ha-status: %v %+v", err, ha)
		}
		for _, hn := range ha.Nodes {
			if hn.ActiveNode != (hn.Hostname == "n1") || hn.APIAddress == "" || (hn.ActiveNode != (hn.LastEcho == nil)) {
				t.Fatalf("ha node %+v", hn)
			}
		}
		eventually(t, 10*time.Second, "autopilot to report a healthy cluster", func() bool {
			st, err := n3.client(rootToken).Sys().RaftAutopilotState()
			if err == nil && !(st.Healthy && st.FailureTolerance == 1 && st.Leader == "n1" && len(st.Servers) == 3) {
				t.Logf("%s", st)
			}
			return err == nil && st.Healthy && st.FailureTolerance == 1 && st.Leader == "n1" && len(st.Servers) == 3
		})
	})
}

func TestJoinFailuresLeaveTheNodeUntouched(t *testing.T) {
	n1 := newNode(t, "a1", nodeOpts{}).start()
	n1.initialize()
	joiner := newNode(t, "a2", nodeOpts{}).start()
	untouched := func(t *testing.T) {
		t.Helper()
		if joiner.node.Initialized() || joiner.node.HasRaftState() || joiner.node.Keyring() != nil {
			t.Fatal("the failed join changed the node")
		}
		if _, err := os.Stat(filepath.Join(joiner.cfg.DataDir, "keyring.json")); !os.IsNotExist(err) {
			t.Fatalf("keyring file left behind: %v", err)
		}
	}
	cases := []struct {
		name, leader, token, want string
		status                    int
	}{
		{"dead address", "http://" + testport.Addr(t), rootToken, "unreachable", 503},
		{"not a url", "127.0.0.1:1", rootToken, "must be the leader's API URL", 400},
		{"wrong token", n1.url(), "not-a-token", "not valid in this cluster", 403},
		{"no token", n1.url(), "", "needs a token with the root policy", 400},
		{"uninitialised target", joiner.url(), rootToken, "not initialised", 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", joiner.url()+"/v1/sys/storage/raft/join", tc.token, map[string]any{"leader_api_addr": tc.leader})
			if r.status != tc.status || !strings.Contains(r.errors(), tc.want) {
				t.Fatalf("%d %s, want %d containing %q", r.status, r.errors(), tc.status, tc.want)
			}
			untouched(t)
		})
	}

	t.Run("a node of another cluster refuses", func(t *testing.T) {
		other := newNode(t, "b1", nodeOpts{}).start()
		other.initialize()
		r := join(t, other, n1.url(), false)
		if r.status != 400 || !strings.Contains(r.errors(), "already initialised as a member of cluster") {
			t.Fatalf("%d %s", r.status, r.errors())
		}
		if !other.node.Status().IsLeader || len(voters(t, other)) != 1 || len(voters(t, n1)) != 1 {
			t.Fatal("a refused join changed a cluster")
		}
		// It can still be written to: nothing was touched.
		createToken(t, other)
	})

	t.Run("the joiner then joins for real", func(t *testing.T) {
		mustJoin(t, joiner, n1.url())
		if joiner.node.Keyring() == nil || !slices.Equal(voters(t, n1), []string{"a1", "a2"}) {
			t.Fatal("join did not take effect")
		}
	})
}
