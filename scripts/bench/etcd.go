package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// ensureEtcd installs Debian's etcd-server and etcd-client when the etcd
// binary is missing.
func ensureEtcd() (string, error) {
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	fmt.Fprintln(os.Stderr, "etcd not found: installing Debian's etcd-server and etcd-client")
	steps := [][]string{
		{"apt-get", "update", "-qq"},
		{"apt-get", "install", "-y", "-qq", "etcd-server", "etcd-client"},
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("%s: %w", strings.Join(s, " "), err)
		}
	}
	return exec.LookPath("etcd")
}

func etcdVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(strings.TrimPrefix(line, "etcd Version:"))
}

// etcdCluster is a 3-member etcd cluster on 127.0.0.1: member i serves
// clients on base+10*(i-1) and peers on +1.
type etcdCluster struct {
	bin, dir string
	base     int
	members  []*etcdMember
	// clients[i] talks to member i only (reads spread over the members);
	// all talks to every member and fails over (writes, failover).
	clients []*clientv3.Client
	all     *clientv3.Client
}

type etcdMember struct {
	name, clientURL, peerURL, dataDir string
	clientPort                        int
	proc                              *proc
}

func newEtcdCluster(bin, dir string, base int) (*etcdCluster, error) {
	c := &etcdCluster{bin: bin, dir: dir, base: base}
	var initial []string
	for i := 1; i <= 3; i++ {
		p := base + 10*(i-1)
		if err := portsFree(p, p+1); err != nil {
			return nil, err
		}
		m := &etcdMember{name: fmt.Sprintf("etcd%d", i), clientPort: p,
			clientURL: fmt.Sprintf("http://127.0.0.1:%d", p), peerURL: fmt.Sprintf("http://127.0.0.1:%d", p+1),
			dataDir: filepath.Join(dir, "etcd", fmt.Sprintf("etcd%d", i))}
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peerURL)
	}
	for _, m := range c.members {
		m.proc = nil
		if err := c.start(m, strings.Join(initial, ",")); err != nil {
			return nil, err
		}
	}
	var eps []string
	for _, m := range c.members {
		eps = append(eps, m.clientURL)
		cl, err := clientv3.New(clientv3.Config{Endpoints: []string{m.clientURL}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			return nil, err
		}
		c.clients = append(c.clients, cl)
	}
	all, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, err
	}
	c.all = all
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if _, err := all.Put(ctx, "bench/ready", "1"); err == nil {
			return c, nil
		} else if ctx.Err() != nil {
			return nil, fmt.Errorf("etcd cluster not writable: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *etcdCluster) start(m *etcdMember, initial string) error {
	p, err := startProc(m.name, filepath.Join(c.dir, m.name+".log"), c.bin,
		"--name", m.name, "--data-dir", m.dataDir,
		"--listen-client-urls", m.clientURL, "--advertise-client-urls", m.clientURL,
		"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
		"--initial-cluster", initial, "--initial-cluster-state", "new",
		"--initial-cluster-token", "iamd-bench", "--logger", "zap", "--log-level", "warn")
	if err != nil {
		return err
	}
	m.proc = p
	return waitTCP(fmt.Sprintf("127.0.0.1:%d", m.clientPort), 20*time.Second)
}

// restart starts a killed member again on its data directory.
func (c *etcdCluster) restart(m *etcdMember) error {
	var initial []string
	for _, o := range c.members {
		initial = append(initial, o.name+"="+o.peerURL)
	}
	return c.start(m, strings.Join(initial, ","))
}

// leader returns the member that leads, or nil.
func (c *etcdCluster) leader() *etcdMember {
	for i, m := range c.members {
		if !m.proc.alive() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := c.clients[i].Status(ctx, m.clientURL)
		cancel()
		if err == nil && st.Leader != 0 && st.Leader == st.Header.MemberId {
			return m
		}
	}
	return nil
}

func (c *etcdCluster) down() {
	for _, cl := range c.clients {
		cl.Close()
	}
	if c.all != nil {
		c.all.Close()
	}
	for _, m := range c.members {
		m.proc.stop()
	}
}
