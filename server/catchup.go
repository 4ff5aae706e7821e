package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"iamd/iamerr"
)

// A restarted node rebuilds its state by replaying its Raft log, and Raft
// applies the entries after the last snapshot only once the node learns
// they are committed. Until then the state is older than what the node
// had already answered from before the restart: a revoked token or a
// deleted key would authenticate again, a new one would not. So a node
// authenticates nothing until it has applied the log it had on disk at
// start, or everything the cluster tells it is committed, whichever comes
// first (entries past the commit index may still be truncated by a new
// leader, so waiting for them alone could wait for ever).
//
// The indexes compared with the FSM's applied index are those of the last
// command at or below them: Raft never hands no-op entries (one per
// election) or configuration entries to the FSM, so its applied index
// stops at the command before them, and a log that ends with one would
// otherwise never count as replayed (a restarted node of a quiet cluster
// then refused every request until the next write).
type bootCatchUp struct {
	index atomic.Uint64 // last command index on disk when Raft started
	done  atomic.Bool   // sticky once caught up
	logs  raft.LogStore
}

func (b *bootCatchUp) reset(logs raft.LogStore, lastIndex uint64) {
	b.logs = logs
	target := lastCommandAtOrBelow(logs, lastIndex)
	b.index.Store(target)
	b.done.Store(target == 0)
}

// lastCommandAtOrBelow returns the index of the last command entry at or
// below idx. An entry that is not in the log (not received yet, or
// compacted into a snapshot, whose restore sets the applied index to the
// snapshot's) ends the search there, which keeps the answer conservative.
func lastCommandAtOrBelow(logs raft.LogStore, idx uint64) uint64 {
	var l raft.Log
	for i := idx; i > 0 && idx-i < 256; i-- {
		if logs.GetLog(i, &l) != nil || l.Type == raft.LogCommand {
			return i
		}
	}
	if idx < 256 {
		return 0
	}
	return idx - 256
}

// BootWait bounds how long a request waits for a restarting node to catch
// up before it is refused as unavailable.
var BootWait = 5 * time.Second

// caughtUp reports whether the local state may answer authentication.
func (n *Node) caughtUp() bool {
	if n.boot.done.Load() {
		return true
	}
	applied := n.fsm.AppliedIndex()
	ok := applied >= n.boot.index.Load()
	if !ok {
		if r := n.Raft(); r != nil {
			addr, _ := r.LeaderWithID()
			commit := r.CommitIndex()
			ok = addr != "" && commit > 0 && applied >= lastCommandAtOrBelow(n.boot.logs, commit)
		}
	}
	if ok {
		n.boot.done.Store(true)
	}
	return ok
}

// awaitCatchUp waits, bounded by BootWait, until caughtUp.
func (n *Node) awaitCatchUp(ctx context.Context) error {
	if waitBooting(ctx, n.caughtUp) {
		return nil
	}
	return iamerr.New(iamerr.Unavailable,
		"this node is still replaying its raft log after a restart (applied index %d of %d): retry shortly",
		n.fsm.AppliedIndex(), n.boot.index.Load())
}

// waitBooting polls done until it holds (true) or BootWait or ctx ends.
func waitBooting(ctx context.Context, done func() bool) bool {
	if done() {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, BootWait)
	defer cancel()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// ErrNotInitialized is the answer of a node that belongs to no initialised
// cluster: it has no keyring (neither `operator init` nor a join gave it one).
var ErrNotInitialized = iamerr.New(iamerr.Unavailable, "iamd is not initialized")

// AwaitInitialized tells a request whether this node can serve the
// cluster's state. A node that holds a keyring was initialised or joined
// before, so a state without the cluster row means it is still replaying
// its log or installing a snapshot after a restart: the request waits for
// that (bounded by BootWait) and, if it is not over, is refused with a
// message that says so instead of "not initialized".
func (n *Node) AwaitInitialized(ctx context.Context) error {
	if n.Initialized() {
		return nil
	}
	if n.Keyring() == nil {
		return ErrNotInitialized
	}
	if err := n.awaitCatchUp(ctx); err != nil {
		return err
	}
	if waitBooting(ctx, n.Initialized) {
		return nil
	}
	return iamerr.New(iamerr.Unavailable,
		"this node has not restored the cluster's state yet after a restart or join (applied index %d): retry shortly",
		n.fsm.AppliedIndex())
}
