package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iamd/internal/testport"
)

// clusterNode is one iamd server process of a CLI cluster test.
type clusterNode struct {
	id, api, cfg, data string
	p                  *proc
}

func newClusterNode(t *testing.T, dir, id string) *clusterNode {
	n := &clusterNode{id: id, api: testport.Addr(t), data: filepath.Join(dir, id)}
	n.cfg = filepath.Join(dir, id+".hcl")
	os.WriteFile(n.cfg, []byte(fmt.Sprintf(`
node_id  = %q
data_dir = %q
listener "tcp" {
  address     = %q
  tls_disable = true
}
cluster {
  raft_address   = %q
  gossip_address = %q
}
`, id, n.data, n.api, testport.Addr(t), testport.Addr(t))), 0o600)
	return n
}

func (n *clusterNode) start(t *testing.T, bin string) {
	t.Helper()
	n.p = startServer(t, bin, "-config="+n.cfg, "-log-level=debug")
	waitHTTP(t, n.api)
}

// cli runs an iamd client command and returns its combined output and
// exit code.
func cli(t *testing.T, bin, addr, token string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "IAMD_ADDR=http://"+addr, "IAMD_TOKEN="+token, "VAULT_TOKEN=", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestClusterThroughTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three servers")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	nodes := []*clusterNode{newClusterNode(t, dir, "c1"), newClusterNode(t, dir, "c2"), newClusterNode(t, dir, "c3")}
	// Registered before the servers start, so it runs after their
	// cleanups have killed them and their output is complete.
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range nodes {
				if n.p != nil {
					t.Logf("log of %s (its last start):\n%s", n.id, n.p.out)
				}
			}
		}
	})
	for _, n := range nodes {
		n.start(t, bin)
	}
	c1, c2, c3 := nodes[0], nodes[1], nodes[2]

	out, code := cli(t, bin, c1.api, "", "operator", "init", "-format=json")
	if code != 0 {
		t.Fatalf("init: %d %s", code, out)
	}
	var initOut map[string]any
	if err := json.Unmarshal([]byte(out), &initOut); err != nil {
		t.Fatalf("init output %q", out)
	}
	root := initOut["root_token"].(string)

	for _, n := range []*clusterNode{c2, c3} {
		out, code := cli(t, bin, n.api, root, "operator", "raft", "join", "http://"+c1.api)
		if code != 0 || !strings.Contains(out, "joined") || strings.Contains(out, "already") {
			t.Fatalf("join %s: %d %s", n.id, code, out)
		}
	}
	out, code = cli(t, bin, c2.api, root, "operator", "raft", "join", "http://"+c1.api)
	if code != 0 || !strings.Contains(out, "already a member") {
		t.Fatalf("second join: %d %s", code, out)
	}

	out, code = cli(t, bin, c3.api, root, "operator", "raft", "list-peers")
	if code != 0 || strings.Count(out, "true") != 3 || strings.Count(out, "leader") != 1 || !strings.Contains(out, "Node") {
		t.Fatalf("list-peers: %d %s", code, out)
	}
	out, _ = cli(t, bin, c3.api, root, "operator", "raft", "list-peers", "-format=json")
	var peers struct {
		Data struct {
			Config struct {
				Servers []map[string]any `json:"servers"`
			} `json:"config"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &peers); err != nil || len(peers.Data.Config.Servers) != 3 {
		t.Fatalf("list-peers json: %v %s", err, out)
	}
	if out, code := cli(t, bin, c2.api, root, "operator", "members"); code != 0 || strings.Count(out, "http://") != 3 {
		t.Fatalf("members: %d %s", code, out)
	}

	t.Run("join to a dead address fails and leaves the node untouched", func(t *testing.T) {
		lone := newClusterNode(t, dir, "c4")
		lone.start(t, bin)
		out, code := cli(t, bin, lone.api, root, "operator", "raft", "join", "http://"+testport.Addr(t))
		if code == 0 || !strings.Contains(out, "unreachable") {
			t.Fatalf("join to a dead address: %d %s", code, out)
		}
		if _, err := os.Stat(filepath.Join(lone.data, "keyring.json")); !os.IsNotExist(err) {
			t.Fatalf("keyring written by a failed join: %v", err)
		}
		if st, _ := cli(t, bin, lone.api, "", "status", "-format=json"); !strings.Contains(st, `"Initialized": false`) {
			t.Fatalf("status after a failed join: %s", st)
		}
	})

	// Acknowledged writes, then SIGKILL of the leader.
	var tokens []string
	for i := 0; i < 6; i++ {
		sec, err := vaultClient(t, nodes[i%3].api, root).Auth().Token().Create(nil)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, sec.Auth.ClientToken)
	}
	c1.p.cmd.Process.Kill()
	c1.p.cmd.Wait()
	start := time.Now()
	for {
		sec, err := vaultClient(t, c2.api, root).Auth().Token().Create(nil)
		if err == nil {
			tokens = append(tokens, sec.Auth.ClientToken)
			t.Logf("write accepted by a survivor %s after SIGKILL of the leader", time.Since(start))
			break
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("no write accepted after the leader died: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, n := range []*clusterNode{c2, c3} {
		for _, tok := range tokens {
			if err := waitToken(t, n.api, tok, 5*time.Second); err != nil {
				t.Fatalf("acknowledged token missing on %s: %v", n.id, err)
			}
		}
	}

	// The killed node comes back on its data directory and catches up.
	c1.start(t, bin)
	for _, tok := range tokens {
		if err := waitToken(t, c1.api, tok, 15*time.Second); err != nil {
			t.Fatalf("restarted node did not catch up: %v", err)
		}
	}

	snap := filepath.Join(dir, "backup.snap")
	if out, code := cli(t, bin, c3.api, root, "operator", "raft", "snapshot", "save", snap); code != 0 {
		t.Fatalf("snapshot save: %d %s", code, out)
	}
	if fi, err := os.Stat(snap); err != nil || fi.Size() == 0 {
		t.Fatalf("snapshot file: %v", err)
	}
	if out, code := cli(t, bin, c2.api, root, "operator", "raft", "snapshot", "restore", snap); code != 0 {
		t.Fatalf("snapshot restore: %d %s", code, out)
	}

	out, code = cli(t, bin, c2.api, root, "operator", "raft", "remove-peer", "c3")
	if code != 0 || !strings.Contains(out, "Peer removed successfully!") {
		t.Fatalf("remove-peer: %d %s", code, out)
	}
	out, _ = cli(t, bin, c2.api, root, "operator", "raft", "list-peers")
	if strings.Contains(out, "c3") || strings.Count(out, "true") != 2 {
		t.Fatalf("list-peers after remove: %s", out)
	}
	if out, code := cli(t, bin, c2.api, root, "operator", "raft", "remove-peer"); code != 2 || !strings.Contains(out, "Usage") {
		t.Fatalf("remove-peer without an id: %d %s", code, out)
	}
}

// waitToken waits until tok authenticates on the node at addr.
func waitToken(t *testing.T, addr, tok string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		_, err := vaultClient(t, addr, tok).Auth().Token().LookupSelf()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
