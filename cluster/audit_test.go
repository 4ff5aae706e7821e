package cluster_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// The administrative audit log is derived in FSM Apply from the commands
// themselves, so every node of a cluster holds the same hash chain, whichever
// node served each request; and no secret reaches any node's data directory.
func TestAuditLogIsTheSameOnEveryNode(t *testing.T) {
	nodes := threeNodes(t)
	const password = "Cl3ar-Passw0rd-Nowhere"
	lead := nodes[0].url()
	r := do(t, "POST", lead+"/v1/sys/auth/userpass", rootToken, map[string]any{"type": "userpass"})
	if r.status != 204 {
		t.Fatalf("enable userpass: %d %s", r.status, r.errors())
	}
	mounted := r.header.Get("X-Iamd-Index")
	// Writes through the followers are forwarded; their entries still name
	// the follower that served them.
	r = do(t, "POST", nodes[1].url()+"/v1/auth/userpass/users/bob", rootToken, map[string]any{"password": password},
		"X-Iamd-Index", mounted)
	if r.status != 204 {
		t.Fatalf("create user: %d %s", r.status, r.errors())
	}
	login := do(t, "POST", nodes[2].url()+"/v1/auth/userpass/login/bob", "", map[string]any{"password": password},
		"X-Iamd-Index", r.header.Get("X-Iamd-Index"))
	if login.status != 200 {
		t.Fatalf("login: %d %s", login.status, login.errors())
	}
	loginToken := login.body["auth"].(map[string]any)["client_token"].(string)
	if r := do(t, "POST", nodes[1].url()+"/v1/auth/userpass/login/bob", "", map[string]any{"password": "wrong"},
		"X-Iamd-Index", login.header.Get("X-Iamd-Index")); r.status == 200 {
		t.Fatal("wrong password accepted")
	}
	var secrets = []string{password, loginToken}
	for _, n := range nodes {
		tok, _ := createToken(t, n)
		secrets = append(secrets, tok)
	}
	_, idx := createToken(t, nodes[2])

	var want []byte
	var wantHead any
	for _, n := range nodes {
		r := do(t, "GET", n.url()+"/v1/sys/audit-log?limit=1000", rootToken, nil, "X-Iamd-Index", idx)
		if r.status != 200 {
			t.Fatalf("audit log on %s: %d %s", n.id, r.status, r.errors())
		}
		data := r.body["data"].(map[string]any)
		entries, _ := json.Marshal(data["entries"])
		if want == nil {
			want, wantHead = entries, data["head_hash"]
			continue
		}
		if !bytes.Equal(entries, want) || data["head_hash"] != wantHead {
			t.Fatalf("%s holds a different audit log:\n%s\nvs\n%s", n.id, entries, want)
		}
	}
	var entries []struct {
		Action, Node, Target, Result, Principal string
	}
	if err := json.Unmarshal(want, &entries); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action+"@"+e.Node+":"+e.Result] = true
	}
	for _, k := range []string{
		"auth.enable@n1:success", "userpass.user.write@n2:success", "auth.login@n3:success",
		"auth.login.failure@n2:failure", "token.create@n1:success", "token.create@n2:success", "token.create@n3:success",
	} {
		if !seen[k] {
			t.Errorf("no entry %s in %v", k, seen)
		}
	}
	for _, n := range nodes {
		filepath.WalkDir(n.cfg.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			body, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			for _, s := range secrets {
				if bytes.Contains(body, []byte(s)) {
					t.Errorf("%s holds a secret in clear (%.6s...)", path, s)
				}
			}
			return nil
		})
	}
}
