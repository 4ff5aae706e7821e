package cluster_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"
	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api"
	"iamd/cluster"
	"iamd/internal/testport"
	"iamd/server"
	"iamd/server/config"
)

// The tests run real nodes in this process: each has its own data
// directory, a real HTTP listener, a real TCP raft transport and real
// gossip, all on 127.0.0.1 with ephemeral ports and short timeouts.

const rootToken = "root-token-for-tests"

// gossipKey is shared by the nodes of a test that uses retry_join.
var gossipKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

type testNode struct {
	t       *testing.T
	id      string
	cfg     *config.Node
	node    *server.Node
	cl      *cluster.Cluster
	srv     *http.Server
	stopped bool
}

type nodeOpts struct {
	retryJoin []string // gossip addresses
	gossipKey bool
	extra     string // appended inside the cluster block
}

// newNode configures a node (without starting it).
func newNode(t *testing.T, id string, o nodeOpts) *testNode {
	t.Helper()
	apiAddr, raftAddr, gossipAddr := testport.Addr(t), testport.Addr(t), testport.Addr(t)
	var extra strings.Builder
	if o.gossipKey {
		fmt.Fprintf(&extra, "  gossip_key = %q\n", gossipKey)
	}
	if len(o.retryJoin) > 0 {
		quoted := make([]string, len(o.retryJoin))
		for i, a := range o.retryJoin {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		fmt.Fprintf(&extra, "  retry_join = [%s]\n", strings.Join(quoted, ", "))
	}
	extra.WriteString(o.extra)
	src := fmt.Sprintf(`
node_id  = %q
data_dir = %q
listener "tcp" {
  address     = %q
  tls_disable = true
}
cluster {
  raft_address   = %q
  gossip_address = %q
  apply_timeout  = "5s"
%s}
`, id, filepath.Join(t.TempDir(), id), apiAddr, raftAddr, gossipAddr, extra.String())
	cfg, err := config.Parse(id+".hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{t: t, id: id, cfg: cfg, stopped: true}
}

func (n *testNode) gossipAddr() string { return n.cfg.Cluster.GossipAddress }
func (n *testNode) url() string        { return n.cfg.APIAddr }

// fastRaft shortens elections for tests. The lease equals the heartbeat
// timeout (the longest raft allows): with a shorter one a leader on a
// loaded CI machine stepped down on its own ("leadership lost while
// committing log") and failed unrelated tests.
func fastRaft(c *raft.Config) {
	c.HeartbeatTimeout = 300 * time.Millisecond
	c.ElectionTimeout = 300 * time.Millisecond
	c.LeaderLeaseTimeout = 300 * time.Millisecond
}

func fastGossip(c *memberlist.Config) {
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 100 * time.Millisecond
	c.GossipInterval = 50 * time.Millisecond
	c.PushPullInterval = 2 * time.Second
	c.SuspicionMult = 2
	c.TCPTimeout = time.Second
}

func (n *testNode) start() *testNode {
	t := n.t
	t.Helper()
	level := hclog.Error
	if v := os.Getenv("IAMD_TEST_LOG"); v != "" { // e.g. IAMD_TEST_LOG=debug
		level = hclog.LevelFromString(v)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: n.id, Level: level})
	node, err := server.New(server.Options{Config: n.cfg, Logger: logger, TuneRaft: fastRaft})
	if err != nil {
		t.Fatalf("start %s: %v", n.id, err)
	}
	cl, err := cluster.New(node, n.cfg, cluster.Options{
		Logger: logger, Interval: 200 * time.Millisecond, RetryJoinInterval: 300 * time.Millisecond,
		LeaderWait: 5 * time.Second, RemovalCheckAfter: time.Second, CatchUpTimeout: 20 * time.Second,
		Gossip: fastGossip,
	})
	if err != nil {
		node.Shutdown()
		t.Fatalf("start cluster on %s: %v", n.id, err)
	}
	var ln net.Listener
	for i := 0; i < 50; i++ { // the port may still be held by a previous run of this node
		if ln, err = net.Listen("tcp", n.cfg.Listener[0].Address); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	n.node, n.cl, n.stopped = node, cl, false
	n.srv = &http.Server{Handler: cl.Wrap(api.New(node, config.DefaultMaxRequestSize))}
	go n.srv.Serve(ln)
	t.Cleanup(n.kill)
	return n
}

// kill stops the node abruptly: no gossip leave, no leadership transfer.
func (n *testNode) kill() {
	if n.stopped {
		return
	}
	n.stopped = true
	n.srv.Close()
	n.cl.Kill()
	n.node.Shutdown()
}

func (n *testNode) client(token string) *vaultapi.Client {
	n.t.Helper()
	cfg := vaultapi.DefaultConfig()
	cfg.Address = n.url()
	cfg.MaxRetries = 0
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

// initialize bootstraps the cluster on n with the test root token.
func (n *testNode) initialize() {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.node.Initialize(ctx, server.InitRequest{RootTokenID: rootToken}); err != nil {
		n.t.Fatalf("init %s: %v", n.id, err)
	}
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

// errors returns the Vault error messages joined with "; ".
func (r response) errors() string {
	var out []string
	list, _ := r.body["errors"].([]any)
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return strings.Join(out, "; ")
}

// do sends a raw request; the client never follows redirects so tests see
// them.
func do(t *testing.T, method, url, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header}
	if len(bytes.TrimSpace(raw)) > 0 {
		json.Unmarshal(raw, &out.body)
	}
	return out
}

// join asks joiner to join the cluster through leader's API.
func join(t *testing.T, joiner *testNode, leaderURL string, reset bool) response {
	t.Helper()
	return do(t, "POST", joiner.url()+"/v1/sys/storage/raft/join", rootToken,
		map[string]any{"leader_api_addr": leaderURL, "reset": reset})
}

func mustJoin(t *testing.T, joiner *testNode, leaderURL string) {
	t.Helper()
	r := join(t, joiner, leaderURL, false)
	if r.status != 200 || r.body["outcome"] != "joined" || r.body["voter"] != true {
		t.Fatalf("join %s: %d %v", joiner.id, r.status, r.body)
	}
}

// eventually retries cond every 50ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// threeNodes starts a cluster of three voters, n[0] the leader.
func threeNodes(t *testing.T) []*testNode {
	t.Helper()
	nodes := []*testNode{newNode(t, "n1", nodeOpts{}).start(), newNode(t, "n2", nodeOpts{}).start(), newNode(t, "n3", nodeOpts{}).start()}
	nodes[0].initialize()
	mustJoin(t, nodes[1], nodes[0].url())
	mustJoin(t, nodes[2], nodes[0].url())
	return nodes
}

// voters returns the IDs of the voters in n's raft configuration.
// voters lists the voters of n's Raft configuration, sorted: the
// configuration keeps join order, and nodes that join by themselves
// (retry_join) join in any order.
func voters(t *testing.T, n *testNode) []string {
	t.Helper()
	cfg, err := n.node.RaftConfiguration()
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range cfg.Servers {
		if s.Voter {
			out = append(out, s.ID)
		}
	}
	slices.Sort(out)
	return out
}

func leaderOf(nodes []*testNode) *testNode {
	for _, n := range nodes {
		if !n.stopped && n.node.Status().IsLeader {
			return n
		}
	}
	return nil
}

// createToken creates a token through n and returns it with the index it
// was applied at.
func createToken(t *testing.T, n *testNode) (string, string) {
	t.Helper()
	r := do(t, "POST", n.url()+"/v1/auth/token/create", rootToken, map[string]any{"policies": []string{"default"}})
	if r.status != 200 {
		t.Fatalf("token create on %s: %d %s", n.id, r.status, r.errors())
	}
	auth := r.body["auth"].(map[string]any)
	return auth["client_token"].(string), r.header.Get("X-Iamd-Index")
}

// initializedCluster starts n1, n2 and n3, initialises n1 with the test
// root token and joins the other two to it.
func initializedCluster(t *testing.T) ([]*testNode, *server.InitResult) {
	t.Helper()
	nodes := []*testNode{newNode(t, "n1", nodeOpts{}).start(), newNode(t, "n2", nodeOpts{}).start(), newNode(t, "n3", nodeOpts{}).start()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	init, err := nodes[0].node.Initialize(ctx, server.InitRequest{RootTokenID: rootToken})
	if err != nil {
		t.Fatal(err)
	}
	mustJoin(t, nodes[1], nodes[0].url())
	mustJoin(t, nodes[2], nodes[0].url())
	return nodes, init
}
