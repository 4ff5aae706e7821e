package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
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
