package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"iamd/iamerr"
	"iamd/server/keyring"
)

// Raft ends the log with a no-op entry at every election, and never hands
// it to the FSM: a node restarted on such a log (here: restarted twice
// without a write in between) must still count its log as replayed, and
// authenticate, without waiting for a write that may never come. Found by
// test/faults.
func TestRestartOnALogEndingWithANoOp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n1")
	cfg := testConfig(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	n := startNode(t, cfg)
	init, _ := initNode(t, ctx, n)
	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for restart := 1; restart <= 2; restart++ {
		n = startNode(t, cfg)
		if _, err := n.Authenticate(ctx, init.RootToken); err != nil {
			n.Shutdown()
			t.Fatalf("restart %d: %v", restart, err)
		}
		// Let the election's no-op be committed before the next stop.
		for n.Raft().State() != raft.Leader || n.Raft().AppliedIndex() < n.Raft().LastIndex() {
			if ctx.Err() != nil {
				n.Shutdown()
				t.Fatalf("restart %d: the election's no-op was not applied in time", restart)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := n.Shutdown(); err != nil {
			t.Fatal(err)
		}
	}
}

// A node that holds a keyring belonged to an initialised cluster: while it
// has no state yet (log replay or snapshot install after a restart), a
// request must hear that, not "not initialized", which tells an operator
// to run init. A node without a keyring is simply not initialised.
func TestAwaitInitializedTellsRestoringFromUninitialised(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n1")
	cfg := testConfig(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	defer func(d time.Duration) { BootWait = d }(BootWait)
	BootWait = 200 * time.Millisecond

	fresh := startNode(t, cfg)
	if err := fresh.AwaitInitialized(ctx); !errors.Is(err, ErrNotInitialized) {
		fresh.Shutdown()
		t.Fatalf("fresh node: got %v, want ErrNotInitialized", err)
	}
	initNode(t, ctx, fresh)
	if err := fresh.AwaitInitialized(ctx); err != nil {
		fresh.Shutdown()
		t.Fatalf("initialised node: %v", err)
	}
	if err := fresh.Shutdown(); err != nil {
		t.Fatal(err)
	}

	// Keep the keyring, lose the raft state: the node now looks like one
	// that has not installed the cluster's snapshot yet.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != keyring.FileName {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	n := startNode(t, cfg)
	defer n.Shutdown()
	err = n.AwaitInitialized(ctx)
	if err == nil || errors.Is(err, ErrNotInitialized) || !iamerr.Is(err, iamerr.Unavailable) ||
		!strings.Contains(err.Error(), "has not restored the cluster's state yet") {
		t.Fatalf("node with a keyring and no state: got %v", err)
	}
}
