package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// iamdCluster is a 3-node iamd cluster on 127.0.0.1 run from the binary
// built from this checkout, laid out like scripts/cluster.sh does it
// (node i: API base+10*(i-1), raft +1, gossip +2).
type iamdCluster struct {
	bin, dir string
	base     int
	nodes    []*iamdNode
	http     *http.Client

	token            string // root token from operator init
	accountID        string
	rootAK, rootSK   string
	extraServerFlags []string
	// pin, when set, receives every request (-leader-only: no forwarding).
	pin *iamdNode
}

// target is the node client c talks to: node c%3, or the pinned one.
func (c *iamdCluster) target(client int) *iamdNode {
	if c.pin != nil {
		return c.pin
	}
	return c.nodes[client%len(c.nodes)]
}

type iamdNode struct {
	id, api, cfg, dataDir string
	port                  int
	proc                  *proc
}

func buildIamd(root, dir string) (string, error) {
	bin := filepath.Join(dir, "iamd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/iamd")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/iamd: %w", err)
	}
	return bin, nil
}

func newIamdCluster(bin, dir string, base int, client *http.Client) *iamdCluster {
	return &iamdCluster{bin: bin, dir: dir, base: base, http: client}
}

// node returns the i-th node (1-based ids: node1, node2, ...), writing its
// configuration the first time.
func (c *iamdCluster) newNode(i int) (*iamdNode, error) {
	port := c.base + 10*(i-1)
	n := &iamdNode{
		id: fmt.Sprintf("node%d", i), api: fmt.Sprintf("http://127.0.0.1:%d", port), port: port,
		cfg: filepath.Join(c.dir, fmt.Sprintf("node%d.hcl", i)), dataDir: filepath.Join(c.dir, "data", fmt.Sprintf("node%d", i)),
	}
	hcl := fmt.Sprintf(`node_id  = %q
data_dir = %q
api_addr = %q
log_level = "warn"

listener "tcp" {
  address     = "127.0.0.1:%d"
  tls_disable = true
}

cluster {
  raft_address   = "127.0.0.1:%d"
  gossip_address = "127.0.0.1:%d"
}
`, n.id, n.dataDir, n.api, port, port+1, port+2)
	if err := portsFree(port, port+1, port+2); err != nil {
		return nil, err
	}
	return n, os.WriteFile(n.cfg, []byte(hcl), 0o600)
}

func (c *iamdCluster) start(n *iamdNode) error {
	p, err := startProc(n.id, filepath.Join(c.dir, n.id+".log"), c.bin, append([]string{"server", "-config=" + n.cfg}, c.extraServerFlags...)...)
	if err != nil {
		return err
	}
	n.proc = p
	return waitTCP(fmt.Sprintf("127.0.0.1:%d", n.port), 20*time.Second)
}

// up starts three nodes, initialises node1 and joins the others.
func (c *iamdCluster) up() error {
	for i := 1; i <= 3; i++ {
		n, err := c.newNode(i)
		if err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
		if err := c.start(n); err != nil {
			return err
		}
	}
	var init struct {
		RootToken string `json:"root_token"`
		AccountID string `json:"account_id"`
		AK        string `json:"root_access_key_id"`
		SK        string `json:"root_secret_access_key"`
	}
	if err := c.call(http.MethodPut, c.nodes[0].api+"/v1/sys/init", "", map[string]any{}, &init); err != nil {
		return fmt.Errorf("operator init: %w", err)
	}
	c.token, c.accountID, c.rootAK, c.rootSK = init.RootToken, init.AccountID, init.AK, init.SK
	for _, n := range c.nodes[1:] {
		if err := c.join(n); err != nil {
			return err
		}
	}
	return c.waitVoters(len(c.nodes), 30*time.Second)
}

// join runs `iamd operator raft join` against n, naming node1. A new
// cluster's leadership can move while it grows; a join refused for that
// ("...; retry", nothing was changed) is tried again, a few times.
func (c *iamdCluster) join(n *iamdNode) error {
	for attempt := 1; ; attempt++ {
		cmd := exec.Command(c.bin, "operator", "raft", "join", "-address="+n.api, c.nodes[0].api)
		cmd.Env = append(os.Environ(), "IAMD_TOKEN="+c.token)
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		if attempt == 5 || !strings.Contains(string(out), "; retry") {
			return fmt.Errorf("join %s: %v: %s", n.id, err, out)
		}
		fmt.Printf("join %s: %s, retrying\n", n.id, bytes.TrimSpace(out))
		time.Sleep(time.Second)
	}
}

// waitVoters waits until the raft configuration has want voters and every
// live node knows a leader.
func (c *iamdCluster) waitVoters(want int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		var cfg struct {
			Data struct {
				Config struct {
					Servers []struct {
						Voter bool `json:"voter"`
					} `json:"servers"`
				} `json:"config"`
			} `json:"data"`
		}
		voters := 0
		if err := c.call(http.MethodGet, c.anyAlive().api+"/v1/sys/storage/raft/configuration", c.token, nil, &cfg); err == nil {
			for _, s := range cfg.Data.Config.Servers {
				if s.Voter {
					voters++
				}
			}
		}
		if voters == want && c.leader() != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster did not reach %d voters with a leader within %s (have %d)", want, within, voters)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *iamdCluster) anyAlive() *iamdNode {
	for _, n := range c.nodes {
		if n.proc.alive() {
			return n
		}
	}
	return c.nodes[0]
}

// leader asks the live nodes who leads and returns that node, or nil.
func (c *iamdCluster) leader() *iamdNode {
	for _, n := range c.nodes {
		if !n.proc.alive() {
			continue
		}
		var l struct {
			IsSelf bool   `json:"is_self"`
			Addr   string `json:"leader_address"`
		}
		if err := c.call(http.MethodGet, n.api+"/v1/sys/leader", "", nil, &l); err != nil {
			continue
		}
		for _, m := range c.nodes {
			if m.api == strings.TrimRight(l.Addr, "/") && m.proc.alive() {
				return m
			}
		}
	}
	return nil
}

func (c *iamdCluster) alive() []*iamdNode {
	var out []*iamdNode
	for _, n := range c.nodes {
		if n.proc.alive() {
			out = append(out, n)
		}
	}
	return out
}

func (c *iamdCluster) down() {
	for _, n := range c.nodes {
		n.proc.stop()
	}
}

// call sends a Vault-style JSON request and decodes a 2xx answer into out.
func (c *iamdCluster) call(method, url, token string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 && !(resp.StatusCode == 429 && strings.HasSuffix(url, "/sys/leader")) {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}
