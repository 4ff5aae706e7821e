package server

import (
	"context"
	"sync/atomic"
	"time"

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
type bootCatchUp struct {
	index atomic.Uint64 // last log index on disk when Raft started
	done  atomic.Bool   // sticky once caught up
}

func (b *bootCatchUp) reset(lastIndex uint64) {
	b.index.Store(lastIndex)
	b.done.Store(lastIndex == 0)
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
			ok = addr != "" && commit > 0 && applied >= commit
		}
	}
	if ok {
		n.boot.done.Store(true)
	}
	return ok
}

// awaitCatchUp waits, bounded by BootWait, until caughtUp.
func (n *Node) awaitCatchUp(ctx context.Context) error {
	if n.caughtUp() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, BootWait)
	defer cancel()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !n.caughtUp() {
		select {
		case <-ctx.Done():
			return iamerr.New(iamerr.Unavailable,
				"this node is still replaying its raft log after a restart (applied index %d of %d): retry shortly",
				n.fsm.AppliedIndex(), n.boot.index.Load())
		case <-t.C:
		}
	}
	return nil
}
