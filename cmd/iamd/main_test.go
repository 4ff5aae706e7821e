package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// buildBinary compiles iamd once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "iamd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

func startServer(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, append([]string{"server"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: &out}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exited with %v\n%s", err, p.out)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("server did not stop on SIGTERM\n%s", p.out)
	}
}

func waitHTTP(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s", addr)
}

func vaultClient(t *testing.T, addr, token string) *vaultapi.Client {
	cfg := vaultapi.DefaultConfig()
	cfg.Address = "http://" + addr
	cfg.MaxRetries = 0
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

func TestConfigModeInitWriteRestartRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	api, raftAddr := freePort(t), freePort(t)
	cfgPath := filepath.Join(dir, "node.hcl")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
node_id = "n1"
data_dir = %q
listener "tcp" {
  address = %q
  tls_disable = true
}
cluster {
  raft_address = %q
}
`, filepath.Join(dir, "data"), api, raftAddr)), 0o600)

	p := startServer(t, bin, "-config="+cfgPath)
	waitHTTP(t, api)
	st := exec.Command(bin, "status", "-address=http://"+api)
	if out, err := st.CombinedOutput(); err == nil || !strings.Contains(string(out), "false") {
		t.Fatalf("status of an uninitialised node: %v %s", err, out)
	}
	out, err := exec.Command(bin, "operator", "init", "-address=http://"+api, "-format=json").Output()
	if err != nil {
		t.Fatalf("operator init: %v\n%s", err, p.out)
	}
	var init map[string]any
	if err := json.Unmarshal(out, &init); err != nil {
		t.Fatalf("init output %q: %v", out, err)
	}
	root, _ := init["root_token"].(string)
	if !strings.HasPrefix(root, "hvs.") || !strings.HasPrefix(init["root_access_key_id"].(string), "AKIA") {
		t.Fatalf("init output %v", init)
	}
	again, err := exec.Command(bin, "operator", "init", "-address=http://"+api).CombinedOutput()
	if err == nil || !strings.Contains(string(again), "already initialized") {
		t.Fatalf("second init: %v %s", err, again)
	}
	c := vaultClient(t, api, root)
	secret, err := c.Auth().Token().Create(&vaultapi.TokenCreateRequest{TTL: "2h", Metadata: map[string]string{"who": "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Sys().EnableAuthWithOptions("people", &vaultapi.EnableAuthOptions{Type: "userpass"}); err != nil {
		t.Fatal(err)
	}
	p.stop(t)
	if raw, _ := os.ReadFile(filepath.Join(dir, "data", "raft", "raft.db")); bytes.Contains(raw, []byte(secret.Auth.ClientToken)) || bytes.Contains(raw, []byte(root)) {
		t.Fatal("a clear token is stored in the raft log")
	}

	startServer(t, bin, "-config="+cfgPath)
	waitHTTP(t, api)
	var looked *vaultapi.Secret
	for i := 0; i < 100; i++ { // the restarted node elects itself first
		if looked, err = c.Auth().Token().Lookup(secret.Auth.ClientToken); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || looked.Data["meta"].(map[string]any)["who"] != "ci" {
		t.Fatalf("token after restart: %v %v", looked, err)
	}
	mounts, err := c.Sys().ListAuth()
	if err != nil || mounts["people/"] == nil || mounts["people/"].Type != "userpass" {
		t.Fatalf("mounts after restart: %v %v", mounts, err)
	}
}

func TestDevServerPrintsCredentialsAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	addr := freePort(t)
	p := startServer(t, bin, "-dev", "-dev-listen-address="+addr, "-dev-root-token-id=devroot",
		"-dev-root-access-key-id=AKIADEVDEVDEVDEVDEV1", "-dev-root-secret-access-key=devsecret")
	waitHTTP(t, addr)
	if _, err := vaultClient(t, addr, "devroot").Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	p.stop(t)
	for _, want := range []string{"Root Token: devroot", "AKIADEVDEVDEVDEVDEV1", "devsecret"} {
		if !strings.Contains(p.out.String(), want) {
			t.Fatalf("dev banner lacks %q:\n%s", want, p.out)
		}
	}
}
