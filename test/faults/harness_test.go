//go:build faults

package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"iamd/internal/testport"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// iamdBinary builds cmd/iamd once per test binary run.
func iamdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "iamd-faults-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "iamd")
		out, err := exec.Command("go", "build", "-o", binPath, "iamd/cmd/iamd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// node is one iamd server process and its files. Its Raft is reached by
// peers through proxy (raft_advertise_address), which the test controls.
type node struct {
	id, api, raftBind, gossip string
	dir, cfg, data, logPath   string
	proxy                     *proxy

	mu          sync.Mutex
	cmd         *exec.Cmd
	exited      chan struct{}
	paused      bool
	incarnation int
}

// nodeOptions are extra lines for the cluster block (snapshot tuning) and
// the listener block (limits, timeouts).
type nodeOptions struct {
	clusterExtra, listenerExtra string
}

func newNode(t *testing.T, dir, id string, net *network, opts nodeOptions) *node {
	n := &node{id: id, api: testport.Addr(t), raftBind: testport.Addr(t), gossip: testport.Addr(t), dir: dir}
	n.data = filepath.Join(dir, id)
	n.cfg = filepath.Join(dir, id+".hcl")
	n.logPath = filepath.Join(dir, id+".log")
	n.proxy = newProxy(t, id, n.raftBind, net)
	cfg := fmt.Sprintf(`
node_id  = %q
data_dir = %q
log_level = "info"
listener "tcp" {
  address     = %q
  tls_disable = true
  %s
}
cluster {
  raft_address           = %q
  raft_advertise_address = %q
  gossip_address         = %q
  %s
}
`, id, n.data, n.api, opts.listenerExtra, n.raftBind, n.proxy.addr, n.gossip, opts.clusterExtra)
	if err := os.WriteFile(n.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// start runs the server and waits until its API accepts connections.
func (n *node) start(t *testing.T, bin string) {
	t.Helper()
	if err := n.startErr(bin, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}

func (n *node) startErr(bin string, wait time.Duration) error {
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "server", "-config="+n.cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	n.mu.Lock()
	n.cmd, n.exited, n.paused = cmd, exited, false
	n.incarnation++
	n.mu.Unlock()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("%s exited at start:\n%s", n.id, n.logTail(2000))
		default:
		}
		if c, err := net.DialTimeout("tcp", n.api, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: nothing listening on %s after %s", n.id, n.api, wait)
}

// running reports whether the process is alive (possibly paused).
func (n *node) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

func (n *node) isPaused() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.paused
}

func (n *node) generation() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.incarnation
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill() {
	n.signal(syscall.SIGKILL)
	n.mu.Lock()
	exited := n.exited
	n.paused = false
	n.mu.Unlock()
	if exited != nil {
		<-exited
	}
}

// terminate sends SIGTERM and waits up to d for a clean exit.
func (n *node) terminate(d time.Duration) error {
	n.signal(syscall.SIGCONT)
	n.signal(syscall.SIGTERM)
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if exited == nil {
		return nil
	}
	select {
	case <-exited:
		if cmd.ProcessState != nil && !cmd.ProcessState.Success() {
			return fmt.Errorf("%s exited with %v", n.id, cmd.ProcessState)
		}
		return nil
	case <-time.After(d):
		n.kill()
		return fmt.Errorf("%s did not stop on SIGTERM within %s", n.id, d)
	}
}

func (n *node) pause() {
	n.signal(syscall.SIGSTOP)
	n.mu.Lock()
	n.paused = true
	n.mu.Unlock()
}

func (n *node) resume() {
	n.signal(syscall.SIGCONT)
	n.mu.Lock()
	n.paused = false
	n.mu.Unlock()
}

func (n *node) signal(s syscall.Signal) {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Signal(s)
	}
}

func (n *node) logTail(max int) string {
	b, _ := os.ReadFile(n.logPath)
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// cluster is three nodes that form one Raft cluster.
type cluster struct {
	t     *testing.T
	bin   string
	dir   string
	net   *network
	nodes []*node
	root  string
	// The root access key from init (AWS dialect).
	rootAccessKey, rootSecret string
}

// startCluster starts three nodes, initialises the first and joins the
// others through the CLI.
func startCluster(t *testing.T, opts nodeOptions) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: iamdBinary(t), dir: t.TempDir(), net: newNetwork()}
	for i := 1; i <= 3; i++ {
		n := newNode(t, c.dir, fmt.Sprintf("n%d", i), c.net, opts)
		c.net.add(n.id, n.proxy.addr)
		c.nodes = append(c.nodes, n)
	}
	t.Cleanup(c.stopAll)
	for _, n := range c.nodes {
		n.start(t, c.bin)
	}
	out, err := c.cli("", c.nodes[0], "operator", "init", "-format=json")
	if err != nil {
		t.Fatalf("init: %v %s", err, out)
	}
	var res struct {
		RootToken string `json:"root_token"`
		AccessKey string `json:"root_access_key_id"`
		SecretKey string `json:"root_secret_access_key"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.RootToken == "" {
		t.Fatalf("init output %q: %v", out, err)
	}
	c.root, c.rootAccessKey, c.rootSecret = res.RootToken, res.AccessKey, res.SecretKey
	for _, n := range c.nodes[1:] {
		if out, err := c.cli(c.root, n, "operator", "raft", "join", "http://"+c.nodes[0].api); err != nil {
			t.Fatalf("join %s: %v %s", n.id, err, out)
		}
	}
	return c
}

func (c *cluster) cli(token string, n *node, args ...string) (string, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), "IAMD_ADDR=http://"+n.api, "IAMD_TOKEN="+token, "VAULT_TOKEN=", "HOME="+c.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// stopAll resumes, then kills every process and closes the proxies.
func (c *cluster) stopAll() {
	for _, n := range c.nodes {
		n.signal(syscall.SIGCONT)
		n.kill()
		n.proxy.close()
	}
}

func (c *cluster) node(id string) *node {
	for _, n := range c.nodes {
		if n.id == id {
			return n
		}
	}
	return nil
}

// leader returns the node that says it is the leader and that the other
// reachable nodes name, waiting up to d.
func (c *cluster) leader(d time.Duration) (*node, error) {
	deadline := time.Now().Add(d)
	for {
		votes := map[string]int{}
		var selfLeaders []*node
		for _, n := range c.nodes {
			if !n.running() || n.isPaused() {
				continue
			}
			var out struct {
				IsSelf        bool   `json:"is_self"`
				LeaderAddress string `json:"leader_address"`
			}
			if st, _, err := getJSON(n, "", "/v1/sys/leader", "", &out); err != nil || st != 200 {
				continue
			}
			if out.LeaderAddress != "" {
				votes[out.LeaderAddress]++
			}
			if out.IsSelf {
				selfLeaders = append(selfLeaders, n)
			}
		}
		for _, n := range selfLeaders {
			if votes["http://"+n.api] >= len(c.nodes)/2+1 {
				return n, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no leader agreed on within %s (votes %v)", d, votes)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var httpClient = &http.Client{Timeout: 12 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// call sends one request to n and returns the status, headers and body.
func call(n *node, token, method, path, index string, body any) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+n.api+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	if index != "" {
		req.Header.Set("X-Iamd-Index", index)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}

// getJSON GETs path and decodes the answer's "data" (or the whole body
// when there is no data envelope) into out.
func getJSON(n *node, token, path, index string, out any) (int, http.Header, error) {
	st, h, b, err := call(n, token, http.MethodGet, path, index, nil)
	if err != nil || st != 200 {
		return st, h, err
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(b, &env) == nil && len(env.Data) > 0 && string(env.Data) != "null" {
		return st, h, json.Unmarshal(env.Data, out)
	}
	return st, h, json.Unmarshal(b, out)
}

// refused reports an error that says the request never reached a server.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// digest is a node's answer from sys/internal/fsm-digest.
type digest struct {
	NodeID  string `json:"node_id"`
	Digest  string `json:"digest"`
	Before  uint64 `json:"applied_index_before"`
	Applied uint64 `json:"applied_index"`
}

// converge waits until every node has applied the same index, with no
// write in between, and returns their digests; it fails if the digests of
// equal indexes differ.
func (c *cluster) converge(minIndex uint64, d time.Duration) ([]digest, error) {
	deadline := time.Now().Add(d)
	var last []digest
	for time.Now().Before(deadline) {
		var ds []digest
		ok := true
		for _, n := range c.nodes {
			var dg digest
			st, _, err := getJSON(n, c.root, "/v1/sys/internal/fsm-digest", fmt.Sprint(minIndex), &dg)
			if err != nil || st != 200 || dg.Before != dg.Applied {
				ok = false
				break
			}
			ds = append(ds, dg)
		}
		if ok {
			last = ds
			same := true
			for _, dg := range ds[1:] {
				same = same && dg.Applied == ds[0].Applied
			}
			if same {
				for _, dg := range ds[1:] {
					if dg.Digest != ds[0].Digest {
						return ds, fmt.Errorf("nodes applied index %d but hold different states: %+v", dg.Applied, ds)
					}
				}
				return ds, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return last, fmt.Errorf("nodes did not converge on one applied index within %s: %+v", d, last)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func decodeData(b []byte, out any) error {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Data, out)
}

// TestMain removes the binary built for the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
