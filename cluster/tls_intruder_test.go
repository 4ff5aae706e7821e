package cluster_test

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A node whose cluster certificate comes from another CA, configured like a
// member otherwise and joined by an operator holding the root token, gets
// neither the keyring nor a place in the Raft configuration, and so cannot
// forward anything into the cluster.
func TestNodeWithAnotherCAsCertificateCannotJoinOrForward(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	dir, odir := t.TempDir(), t.TempDir()
	n1 := newNode(t, "i1", nodeOpts{extra: ca.issue(t, dir, "i1")}).start()
	n2 := newNode(t, "i2", nodeOpts{extra: ca.issue(t, dir, "i2")}).start()
	n1.initialize()
	mustJoin(t, n2, n1.url())
	intruder := newNode(t, "i3", nodeOpts{extra: other.issue(t, odir, "i3")}).start()

	servers := func() []string {
		cfg, err := n1.node.RaftConfiguration()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range cfg.Servers {
			ids = append(ids, s.ID)
		}
		return ids
	}
	before, digest := servers(), n1.node.FSM().Digest()

	t.Run("join is refused and changes nothing", func(t *testing.T) {
		for _, via := range []*testNode{n1, n2} {
			r := join(t, intruder, via.url(), false)
			if r.status != 403 || !strings.Contains(r.errors(), "does not present a certificate from this cluster's CA") {
				t.Fatalf("join via %s: %d %s", via.id, r.status, r.errors())
			}
		}
		if got := servers(); !slices.Equal(got, before) {
			t.Fatalf("raft configuration changed: %v, was %v", got, before)
		}
		if intruder.node.Initialized() || intruder.node.HasRaftState() || intruder.node.Keyring() != nil {
			t.Fatal("the refused node holds cluster state or the keyring")
		}
	})

	t.Run("a write sent to it goes nowhere", func(t *testing.T) {
		r := do(t, "POST", intruder.url()+"/v1/auth/token/create", rootToken, map[string]any{})
		if r.status == 200 {
			t.Fatalf("write through the intruder succeeded: %v", r.body)
		}
	})

	t.Run("the internal apply endpoint wants the keyring's HMAC", func(t *testing.T) {
		// Over this plain HTTP listener there is no client certificate to
		// check (tls_internal_test.go has the HTTPS case): what protects
		// /v1/sys/internal/cluster/ is the HMAC keyed from the keyring,
		// which the intruder never got. A well-formed call signed with any
		// other key, from a member's node ID, is refused.
		key := make([]byte, 32)
		rand.Read(key)
		req := signedInternal(n1.url(), "apply", "i2", key, []byte(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Fatalf("forged apply answered %d", resp.StatusCode)
		}
	})

	if n1.node.FSM().Digest() != digest {
		t.Fatal("the cluster's state changed")
	}
	// The cluster itself is unharmed.
	createToken(t, n2)
}
