package server

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"iamd/iamerr"
	"iamd/server/config"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func testConfig(t *testing.T, dir string) *config.Node {
	t.Helper()
	src := fmt.Sprintf(`
node_id = "n1"
data_dir = %q
listener "tcp" {
  address = %q
  tls_disable = true
}
cluster {
  raft_address = %q
}
`, dir, freeAddr(t), freeAddr(t))
	cfg, err := config.Parse("test.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startNode starts a configured node from cfg (quiet logs).
func startNode(t *testing.T, cfg *config.Node) *Node {
	t.Helper()
	n, err := New(Options{Config: cfg, Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error})})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// initNode runs operator init on n and authenticates its root token.
func initNode(t *testing.T, ctx context.Context, n *Node) (*InitResult, *Caller) {
	t.Helper()
	init, err := n.Initialize(ctx, InitRequest{})
	if err != nil {
		t.Fatal(err)
	}
	root, err := n.Authenticate(ctx, init.RootToken)
	if err != nil {
		t.Fatal(err)
	}
	return init, root
}

func TestConfiguredNodeKeepsStateAcrossRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n1")
	cfg := testConfig(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	n := startNode(t, cfg)
	if n.Initialized() {
		t.Fatal("fresh node claims to be initialized")
	}
	if _, err := n.Authenticate(ctx, "anything"); !iamerr.Is(err, iamerr.Unavailable) {
		t.Fatalf("uninitialised node authenticated: %v", err)
	}
	_, root := initNode(t, ctx, n)
	issued, err := n.CreateToken(ctx, root, TokenRequest{Policies: []string{"ops"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Initialize(ctx, InitRequest{}); err == nil {
		t.Fatal("second init succeeded")
	}
	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}

	n2 := startNode(t, cfg)
	defer n2.Shutdown()
	if err := n2.waitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	// raft replays the log (or snapshot) before the node answers.
	deadline := time.Now().Add(10 * time.Second)
	for !n2.Initialized() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	tok, err := n2.Authenticate(ctx, issued.ID)
	if err != nil {
		t.Fatalf("token lost across restart: %v", err)
	}
	if tok.Policies[1] != "ops" {
		t.Fatalf("policies after restart: %v", tok.Policies)
	}
	if _, err := n2.Initialize(ctx, InitRequest{}); err == nil || iamerr.As(err).Message != "iamd is already initialized" {
		t.Fatalf("init on a restarted node: %v", err)
	}
}

// A restarted node replays its log only once Raft knows the entries are
// committed; until then its state is older than what it answered before
// the restart. Authentication must wait for the replay, not answer from
// the old state: the newest token works and a revoked one does not, even
// on the first request after start.
func TestRestartedNodeAuthenticatesOnlyAfterReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n1")
	cfg := testConfig(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	n := startNode(t, cfg)
	_, root := initNode(t, ctx, n)
	var revoked, newest *IssuedToken
	for i := range 100 {
		tok, err := n.CreateToken(ctx, root, TokenRequest{Policies: []string{"ops"}, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			revoked = tok
		}
		newest = tok
	}
	rt, err := n.LookupToken(revoked.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.RevokeToken(ctx, rt, false); err != nil {
		t.Fatal(err)
	}
	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}

	n2 := startNode(t, cfg)
	defer n2.Shutdown()
	// No wait for leadership or replay here: that is the point.
	if _, err := n2.Authenticate(ctx, newest.ID); err != nil {
		t.Fatalf("newest token right after restart: %v", err)
	}
	if _, err := n2.Authenticate(ctx, revoked.ID); err == nil {
		t.Fatal("a token revoked before the restart authenticated after it")
	}
}
