//go:build faults

package faults

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// secret is something that must never be stored or logged in clear.
type secret struct {
	what  string
	forms [][]byte // the encodings searched for
}

func newSecret(what, s string) secret {
	b := []byte(s)
	return secret{what: what, forms: [][]byte{b,
		[]byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b)),
		[]byte(hex.EncodeToString(b))}}
}

// rawSecret also searches the bytes a text form decodes to (a TOTP seed).
func rawSecret(what string, raw []byte) secret {
	return secret{what: what, forms: [][]byte{raw, []byte(base64.StdEncoding.EncodeToString(raw)), []byte(hex.EncodeToString(raw))}}
}

// TestNoSecretAtRest creates tokens, a userpass password, a TOTP seed and
// AWS secret access keys on a 3-node cluster (through every node, so
// forwarded writes are covered), lets every node take snapshots (keeping
// the whole log), stops the nodes, then searches every file of every data_dir,
// every node's log and a snapshot saved through the API for each secret
// in clear (raw, base64, hex). None may appear.
func TestNoSecretAtRest(t *testing.T) {
	// Frequent snapshots, but a log long enough to keep every entry: each
	// secret is then both in the log and in a snapshot on every node.
	c := startCluster(t, nodeOptions{clusterExtra: `snapshot_threshold = 16
  snapshot_interval = "100ms"
  trailing_logs = 10000`})
	var secrets []secret
	root := c.root
	secrets = append(secrets, newSecret("root token", root))
	secrets = append(secrets, newSecret("root secret access key", c.rootSecret))

	// Tokens, through every node, one with a chosen id.
	for i := 0; i < 9; i++ {
		n := c.nodes[i%3]
		body := map[string]any{"policies": []string{"default"}}
		if i == 0 {
			body["id"] = "faults-chosen-token-id-0123456789"
		}
		st, _, b, err := call(n, root, http.MethodPost, "/v1/auth/token/create", lastIndex, body)
		var res struct {
			Auth struct {
				ClientToken string `json:"client_token"`
			} `json:"auth"`
		}
		if err != nil || st != 200 || json.Unmarshal(b, &res) != nil || res.Auth.ClientToken == "" {
			t.Fatalf("token create on %s: %d %v %s", n.id, st, err, b)
		}
		secrets = append(secrets, newSecret("token from "+n.id, res.Auth.ClientToken))
		if i == 1 {
			// A non-root token may not read the state digest.
			if st, _, _, _ := call(n, res.Auth.ClientToken, http.MethodGet, "/v1/sys/internal/fsm-digest", "", nil); st != http.StatusForbidden {
				t.Errorf("fsm-digest with a default-policy token: %d, want 403", st)
			}
		}
	}

	// userpass: a password, and the token of a login through a follower.
	password := "faults-Password-do-not-store-42"
	mustOK(t, c.nodes[1], root, http.MethodPost, "/v1/sys/auth/userpass", map[string]any{"type": "userpass"})
	mustOK(t, c.nodes[2], root, http.MethodPost, "/v1/auth/userpass/users/alice", map[string]any{"password": password, "policies": "default"})
	secrets = append(secrets, newSecret("userpass password", password))
	b := mustOK(t, c.nodes[1], "", http.MethodPost, "/v1/auth/userpass/login/alice", map[string]any{"password": password})
	var login struct {
		Auth struct {
			ClientToken string `json:"client_token"`
			EntityID    string `json:"entity_id"`
		} `json:"auth"`
	}
	if json.Unmarshal(b, &login) != nil || login.Auth.ClientToken == "" {
		t.Fatalf("userpass login: %s", b)
	}
	secrets = append(secrets, newSecret("userpass login token", login.Auth.ClientToken))

	// A TOTP seed for alice's entity.
	b = mustOK(t, c.nodes[2], root, http.MethodPost, "/v1/identity/mfa/method/totp", map[string]any{"issuer": "iamd-faults"})
	var method struct {
		Data struct {
			MethodID string `json:"method_id"`
		} `json:"data"`
	}
	json.Unmarshal(b, &method)
	b = mustOK(t, c.nodes[1], root, http.MethodPost, "/v1/identity/mfa/method/totp/admin-generate",
		map[string]any{"method_id": method.Data.MethodID, "entity_id": login.Auth.EntityID})
	var gen struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	}
	json.Unmarshal(b, &gen)
	u, err := url.Parse(gen.Data.URL)
	if err != nil || u.Query().Get("secret") == "" {
		t.Fatalf("totp admin-generate: %s", b)
	}
	seed := u.Query().Get("secret")
	secrets = append(secrets, newSecret("TOTP seed (base32)", seed))
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed); err == nil {
		secrets = append(secrets, rawSecret("TOTP seed (bytes)", raw))
	}

	// AWS users and secret access keys, through every node.
	for i, n := range c.nodes {
		cl := iam.New(iam.Options{BaseEndpoint: aws.String("http://" + n.api), Region: "us-east-1", RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(c.rootAccessKey, c.rootSecret, "")})
		user := fmt.Sprintf("faults-user-%d", i)
		if _, err := cl.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
			t.Fatalf("CreateUser on %s: %v", n.id, err)
		}
		// A follower checks the user in its own state, which may not have
		// the user it just forwarded yet (eventually consistent, as in
		// AWS): retry, bounded.
		var k *iam.CreateAccessKeyOutput
		for try := 0; ; try++ {
			if k, err = cl.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)}); err == nil {
				break
			}
			if try == 50 || !strings.Contains(err.Error(), "NoSuchEntity") {
				t.Fatalf("CreateAccessKey on %s: %v", n.id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		secrets = append(secrets, newSecret("secret access key of "+user, aws.ToString(k.AccessKey.SecretAccessKey)))
	}

	// A canary stored in clear by design (entity metadata): the search
	// must find it, or it proves nothing.
	canary := newSecret("canary", "faults-canary-plain-0123456789")
	mustOK(t, c.nodes[0], root, http.MethodPost, "/v1/identity/entity/name/canary", map[string]any{"metadata": map[string]string{"c": "faults-canary-plain-0123456789"}})

	// Enough further writes for a snapshot on every node.
	for i := 0; i < 60; i++ {
		mustOK(t, c.nodes[i%3], root, http.MethodPost, fmt.Sprintf("/v1/identity/entity/name/filler-%d", i), map[string]any{})
	}
	st, _, snap, err := call(c.nodes[1], root, http.MethodGet, "/v1/sys/storage/raft/snapshot", "", nil)
	if err != nil || st != 200 {
		t.Fatalf("snapshot through the API: %d %v", st, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range c.nodes {
		for {
			m, _ := filepath.Glob(filepath.Join(n.data, "raft", "snapshots", "*", "state.bin"))
			if len(m) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s took no raft snapshot", n.id)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, n := range c.nodes {
		if err := n.terminate(15 * time.Second); err != nil {
			t.Error(err)
		}
	}

	// Search.
	files := map[string][]byte{}
	for _, n := range c.nodes {
		filepath.WalkDir(n.data, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files[p], _ = os.ReadFile(p)
			}
			return nil
		})
		files[n.logPath], _ = os.ReadFile(n.logPath)
	}
	for name, content := range untarGz(t, snap) {
		files["API snapshot:"+name] = content
	}
	canaries := map[string]bool{}
	for p, content := range files {
		if bytes.Contains(content, canary.forms[0]) {
			canaries[filepath.Base(p)] = true
		}
	}
	if !canaries["raft.db"] || !canaries["state.bin"] {
		t.Errorf("the canary was not found in the raft logs and snapshots (found in %v): the search is broken", canaries)
	}
	found := 0
	for p, content := range files {
		for _, s := range secrets {
			for _, f := range s.forms {
				if bytes.Contains(content, f) {
					t.Errorf("%s in clear in %s", s.what, p)
					found++
					break
				}
			}
		}
	}
	t.Logf("%d secrets searched (raw, base64, hex) in %d files (data dirs, logs, API snapshot): %d found", len(secrets), len(files), found)
}

// lastIndex is the highest X-Iamd-Index mustOK has seen: every call sends
// it back, so a write through one node is seen by the next call on another.
var lastIndex string

func mustOK(t *testing.T, n *node, token, method, path string, body any) []byte {
	t.Helper()
	st, h, b, err := call(n, token, method, path, lastIndex, body)
	if err != nil || st/100 != 2 {
		t.Fatalf("%s %s on %s: %d %v %s", method, path, n.id, st, err, b)
	}
	if v := h.Get("X-Iamd-Index"); v != "" && (len(v) > len(lastIndex) || (len(v) == len(lastIndex) && v > lastIndex)) {
		lastIndex = v
	}
	return b
}

func untarGz(t *testing.T, b []byte) map[string][]byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("API snapshot is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("API snapshot tar: %v", err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}
