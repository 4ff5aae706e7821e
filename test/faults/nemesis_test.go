//go:build faults

package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// nemesis injects faults into a running cluster, one at a time, and
// counts them.
type nemesis struct {
	c   *cluster
	rng *rand.Rand

	mu     sync.Mutex
	counts map[string]int
	errs   []string
}

func newNemesis(c *cluster, seed uint64) *nemesis {
	return &nemesis{c: c, rng: rand.New(rand.NewPCG(seed, 11)), counts: map[string]int{}}
}

func (m *nemesis) count(what string) {
	m.mu.Lock()
	m.counts[what]++
	m.mu.Unlock()
}

func (m *nemesis) fail(format string, args ...any) {
	m.mu.Lock()
	m.errs = append(m.errs, fmt.Sprintf(format, args...))
	m.mu.Unlock()
}

func (m *nemesis) leaderKills() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts["kill-leader"]
}

func (m *nemesis) report() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m.counts[k]))
	}
	return strings.Join(parts, " ")
}

func (m *nemesis) sleep(ctx context.Context, lo, hi time.Duration) {
	d := lo + time.Duration(m.rng.Int64N(int64(hi-lo)+1))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// run injects faults until the duration has passed and at least
// minLeaderKills leaders were killed (or ctx ends). Half the faults kill
// the leader.
func (m *nemesis) run(ctx context.Context, d time.Duration, minLeaderKills int) {
	end := time.Now().Add(d)
	for ctx.Err() == nil && (time.Now().Before(end) || m.leaderKills() < minLeaderKills) {
		m.sleep(ctx, 500*time.Millisecond, 1500*time.Millisecond)
		switch r := m.rng.IntN(10); {
		case r < 5:
			m.killLeader(ctx)
		case r < 6:
			m.killFollower(ctx)
		case r < 8:
			m.pauseOne(ctx)
		default:
			m.partitionOne(ctx)
		}
		m.healthy(ctx)
	}
}

func (m *nemesis) killLeader(ctx context.Context) {
	l, err := m.c.leader(10 * time.Second)
	if err != nil {
		m.count("no-leader-found")
		return
	}
	l.kill()
	m.count("kill-leader")
	m.sleep(ctx, 200*time.Millisecond, 1500*time.Millisecond)
	m.restart(l)
}

func (m *nemesis) killFollower(ctx context.Context) {
	l, err := m.c.leader(10 * time.Second)
	if err != nil {
		m.count("no-leader-found")
		return
	}
	var fs []*node
	for _, n := range m.c.nodes {
		if n != l {
			fs = append(fs, n)
		}
	}
	f := fs[m.rng.IntN(len(fs))]
	f.kill()
	m.count("kill-follower")
	m.sleep(ctx, 200*time.Millisecond, 2*time.Second)
	m.restart(f)
}

func (m *nemesis) restart(n *node) {
	if err := n.startErr(m.c.bin, 30*time.Second); err != nil {
		m.fail("restart %s: %v", n.id, err)
	}
}

// pauseOne stops a random node (the leader one time in two) with SIGSTOP,
// long enough for an election, then resumes it.
func (m *nemesis) pauseOne(ctx context.Context) {
	n := m.c.nodes[m.rng.IntN(len(m.c.nodes))]
	if m.rng.IntN(2) == 0 {
		if l, err := m.c.leader(5 * time.Second); err == nil {
			n = l
		}
	}
	n.pause()
	m.count("pause")
	m.sleep(ctx, 500*time.Millisecond, 4*time.Second)
	n.resume()
}

// partitionOne cuts a random node's Raft off from the others.
func (m *nemesis) partitionOne(ctx context.Context) {
	n := m.c.nodes[m.rng.IntN(len(m.c.nodes))]
	if m.rng.IntN(2) == 0 {
		if l, err := m.c.leader(5 * time.Second); err == nil {
			n = l
		}
	}
	m.c.net.isolate(n.id)
	m.count("partition")
	m.sleep(ctx, 1*time.Second, 5*time.Second)
	m.c.net.heal()
}

// healthy restarts any node that died by itself (it must not) and waits
// for a leader before the next fault, so faults do not pile up into a
// lost quorum that only measures waiting.
func (m *nemesis) healthy(ctx context.Context) {
	for _, n := range m.c.nodes {
		if !n.running() {
			m.fail("%s exited by itself:\n%s", n.id, n.logTail(1500))
			m.restart(n)
		}
	}
	if _, err := m.c.leader(30 * time.Second); err != nil {
		m.fail("no leader 30s after a fault was healed: %v", err)
	}
}

// heal ends every fault.
func (m *nemesis) heal() {
	m.c.net.heal()
	for _, n := range m.c.nodes {
		n.resume()
		if !n.running() {
			m.restart(n)
		}
	}
}
