//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// singleNode starts a one-server cluster (no replica to recover from: what
// it acknowledged must be on its own disk).
func singleNode(t *testing.T, clusterExtra string) *cluster {
	return singleNodeWith(t, nodeOptions{clusterExtra: clusterExtra})
}

func singleNodeWith(t *testing.T, opts nodeOptions) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: iamdBinary(t), dir: t.TempDir(), net: newNetwork()}
	n := newNode(t, c.dir, "s1", c.net, opts)
	c.net.add(n.id, n.proxy.addr)
	c.nodes = []*node{n}
	t.Cleanup(c.stopAll)
	n.start(t, c.bin)
	out, err := c.cli("", n, "operator", "init", "-format=json")
	if err != nil {
		t.Fatalf("init: %v %s", err, out)
	}
	i := strings.Index(out, `"root_token": "`)
	if i < 0 {
		t.Fatalf("init output %q", out)
	}
	rest := out[i+len(`"root_token": "`):]
	c.root = rest[:strings.IndexByte(rest, '"')]
	return c
}

// burst writes entities from several clients until ctx ends and returns
// the names of the acknowledged ones and the highest index.
func burst(ctx context.Context, c *cluster, n *node, prefix string, clients int) ([]string, uint64) {
	var mu sync.Mutex
	var acked []string
	var maxIdx uint64
	var seq atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				name := fmt.Sprintf("%s-%d", prefix, seq.Add(1))
				st, h, _, err := call(n, c.root, http.MethodPost, "/v1/identity/entity/name/"+name, "",
					map[string]any{"metadata": map[string]string{"v": name}})
				if err != nil {
					if refused(err) {
						return // the node is gone
					}
					continue
				}
				if st == 200 || st == 204 {
					idx, _ := strconv.ParseUint(h.Get("X-Iamd-Index"), 10, 64)
					mu.Lock()
					acked = append(acked, name)
					maxIdx = max(maxIdx, idx)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return acked, maxIdx
}

// entityNames lists the entities on n once it has applied idx.
func entityNames(t *testing.T, c *cluster, n *node, idx uint64) map[string]bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _, b, err := call(n, c.root, "LIST", "/v1/identity/entity/name", strconv.FormatUint(idx, 10), nil)
		if err == nil && st == 200 {
			var list struct {
				Keys []string `json:"keys"`
			}
			if err := decodeData(b, &list); err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, k := range list.Keys {
				have[k] = true
			}
			return have
		}
		if time.Now().After(deadline) {
			t.Fatalf("list entities on %s: %d %v %s\n%s", n.id, st, err, b, n.logTail(3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func requireAll(t *testing.T, have map[string]bool, acked []string, when string) {
	t.Helper()
	missing := 0
	for _, name := range acked {
		if !have[name] {
			if missing < 5 {
				t.Errorf("%s: acknowledged write %s missing", when, name)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%s: %d of %d acknowledged writes missing", when, missing, len(acked))
	}
}

// snapshotInProgress reports whether raft's file snapshot store is writing
// a snapshot (a *.tmp directory under data_dir/raft/snapshots).
func snapshotInProgress(n *node) bool {
	m, _ := filepath.Glob(filepath.Join(n.data, "raft", "snapshots", "*.tmp"))
	return len(m) > 0
}

// TestKillDuringWriteBurstAndSnapshots SIGKILLs a one-server cluster
// several times in the middle of concurrent writes, with snapshots (and
// the log compaction after them) every few dozen entries, half the time
// while a snapshot is being written. Every acknowledged write must be there
// after each restart.
func TestKillDuringWriteBurstAndSnapshots(t *testing.T) {
	c := singleNode(t, `snapshot_threshold = 40
  snapshot_interval = "100ms"
  trailing_logs = 10`)
	n := c.nodes[0]
	var all []string
	var maxIdx uint64
	duringSnapshot := 0
	for round := 0; round < 6; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var acked []string
		var idx uint64
		done := make(chan struct{})
		go func() { acked, idx = burst(ctx, c, n, fmt.Sprintf("r%d", round), 8); close(done) }()
		// Odd rounds: kill while a snapshot is being written, if one
		// shows up within 5 s; even rounds: after a random share of the burst.
		deadline := time.Now().Add(time.Duration(300+round*150) * time.Millisecond)
		if round%2 == 1 {
			deadline = time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) && !snapshotInProgress(n) {
				time.Sleep(time.Millisecond)
			}
			if snapshotInProgress(n) {
				duringSnapshot++
			}
		} else {
			time.Sleep(time.Until(deadline))
		}
		n.kill()
		cancel()
		<-done
		all = append(all, acked...)
		maxIdx = max(maxIdx, idx)
		n.start(t, c.bin)
		if _, err := c.leader(30 * time.Second); err != nil {
			t.Fatalf("round %d: no leader after restart: %v\n%s", round, err, n.logTail(3000))
		}
		requireAll(t, entityNames(t, c, n, maxIdx), all, fmt.Sprintf("round %d", round))
	}
	snaps, _ := filepath.Glob(filepath.Join(n.data, "raft", "snapshots", "*"))
	t.Logf("%d acknowledged writes survived 6 SIGKILLs (%d during a snapshot); snapshots on disk: %d", len(all), duringSnapshot, len(snaps))
	if duringSnapshot == 0 {
		t.Log("no kill landed while a snapshot was being written")
	}
}

// TestCorruptFilesAreDetected damages the files of a stopped node. The
// node must either refuse to start with a message naming the problem (and
// no panic), or start and serve exactly the state it had: never a
// corrupted one.
func TestCorruptFilesAreDetected(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, n *node)
	}{
		{"truncated raft.db", func(t *testing.T, n *node) { truncateHalf(t, filepath.Join(n.data, "raft", "raft.db")) }},
		{"raft.db cut to 20 KiB", func(t *testing.T, n *node) {
			if err := os.Truncate(filepath.Join(n.data, "raft", "raft.db"), 20<<10); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage in raft.db", func(t *testing.T, n *node) { scribble(t, filepath.Join(n.data, "raft", "raft.db"), 0.5) }},
		{"garbage early in raft.db", func(t *testing.T, n *node) { scribble(t, filepath.Join(n.data, "raft", "raft.db"), 0.05) }},
		{"garbage in the newest snapshot", func(t *testing.T, n *node) { scribble(t, newestSnapshot(t, n, 0), 0.5) }},
		{"truncated newest snapshot", func(t *testing.T, n *node) { truncateHalf(t, newestSnapshot(t, n, 0)) }},
		{"every snapshot damaged", func(t *testing.T, n *node) {
			for i := 0; ; i++ {
				p := newestSnapshot(t, n, i)
				if p == "" {
					break
				}
				scribble(t, p, 0.3)
			}
		}},
		{"garbage in keyring.json", func(t *testing.T, n *node) { scribble(t, filepath.Join(n.data, "keyring.json"), 0.5) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := singleNode(t, `snapshot_threshold = 30
  snapshot_interval = "100ms"
  trailing_logs = 5`)
			n := c.nodes[0]
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			acked, idx := burst(ctx, c, n, "e", 4)
			cancel()
			have := entityNames(t, c, n, idx)
			requireAll(t, have, acked, "before damage")
			before := fetchDigest(t, c, n, idx)
			if err := n.terminate(15 * time.Second); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, n)
			logStart := fileSize(n.logPath)
			err := n.startErr(c.bin, 15*time.Second)
			// The listener opens before the node has read its files, so
			// wait until it either answers or exits.
			var after digest
			answered := false
			for deadline := time.Now().Add(45 * time.Second); err == nil && !answered && time.Now().Before(deadline); {
				if !n.running() {
					err = errors.New("exited")
					break
				}
				st, _, gerr := getJSON(n, c.root, "/v1/sys/internal/fsm-digest", strconv.FormatUint(idx, 10), &after)
				answered = gerr == nil && st == 200 && after.Before == after.Applied
				if !answered {
					time.Sleep(300 * time.Millisecond)
				}
			}
			out := readFrom(n.logPath, logStart)
			if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
				t.Fatalf("the node panicked instead of reporting the damage:\n%s", tail(out, 3000))
			}
			if err != nil {
				if !strings.Contains(out, "refusing to start") && !strings.Contains(out, "corrupt") {
					t.Fatalf("refused to start without saying why:\n%s", tail(out, 3000))
				}
				t.Logf("refused to start: %s", lastLines(out, 1))
				return
			}
			if !answered {
				n.signal(syscall.SIGQUIT)
				time.Sleep(time.Second)
				t.Fatalf("neither serves nor exits:\n%s", n.logTail(20000))
			}
			// It started: what it serves must be exactly the old state.
			if after.Digest != before.Digest {
				t.Fatalf("started and serves a different state: before %+v after %+v\n%s", before, after, tail(out, 3000))
			}
			t.Logf("started and recovered the same state at index %d", after.Applied)
		})
	}
}

func fetchDigest(t *testing.T, c *cluster, n *node, idx uint64) digest {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var d digest
		st, _, err := getJSON(n, c.root, "/v1/sys/internal/fsm-digest", strconv.FormatUint(idx, 10), &d)
		if err == nil && st == 200 && d.Before == d.Applied {
			return d
		}
		if time.Now().After(deadline) {
			n.signal(syscall.SIGQUIT) // a goroutine dump into its log
			time.Sleep(time.Second)
			t.Fatalf("digest of %s: %d %v\n%s", n.id, st, err, n.logTail(20000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// newestSnapshot returns the state.bin of the i-th newest snapshot, "" if
// there are not that many.
func newestSnapshot(t *testing.T, n *node, i int) string {
	m, _ := filepath.Glob(filepath.Join(n.data, "raft", "snapshots", "*", "state.bin"))
	if i >= len(m) {
		if i == 0 {
			t.Fatal("no snapshot on disk")
		}
		return ""
	}
	// Snapshot directories are named term-index-time, so they sort by age.
	return m[len(m)-1-i]
}

func truncateHalf(t *testing.T, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// scribble overwrites 64 bytes at the given fraction of the file.
func scribble(t *testing.T, path string, at float64) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := int(float64(len(b)) * at)
	for i := off; i < off+64 && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func readFrom(path string, off int64) string {
	b, _ := os.ReadFile(path)
	if off > int64(len(b)) {
		return ""
	}
	return string(b[off:])
}

func tail(s string, max int) string {
	if len(s) > max {
		return s[len(s)-max:]
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
