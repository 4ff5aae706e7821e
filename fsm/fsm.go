package fsm

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// Result is what Apply returns for every log entry: the apply function's
// value or its error, and the index it was applied at. The raft future hands
// it back to the node that proposed the entry.
type Result struct {
	Index uint64
	Value any
	Err   error
}

// FSM is the replicated state machine. Apply is called by raft on one
// goroutine; reads may run concurrently on any goroutine.
type FSM struct {
	store atomic.Pointer[store]

	applied atomic.Uint64
	mu      sync.Mutex
	advance chan struct{} // closed and replaced each time applied grows

	audit auditFiles // this node's audit file devices (audit_file.go)

	keyDeletions atomic.Uint64 // see KeyDeletions

	// commitMu is held while a transaction commits its memdb writes and
	// its key uses, so that a snapshot taken off the FSM goroutine
	// (WriteSnapshot, Digest) sees both or neither.
	commitMu sync.Mutex
}

// New returns an FSM with empty tables.
func New() *FSM {
	f := &FSM{advance: make(chan struct{})}
	f.store.Store(newStore())
	return f
}

// store is the whole state: memdb's tables and, beside them, the access
// keys' last uses (key_uses.go). Restore and Reset replace both at once.
type store struct {
	db   *memdb.MemDB
	uses *keyUseTable
}

func newStore() *store { return &store{db: newDB(), uses: newKeyUseTable()} }

// write starts a write transaction.
func (t *store) write() *txn { return &txn{Txn: t.db.Txn(true), uses: t.uses} }

// State returns a consistent read-only view of the current state.
func (f *FSM) State() *State {
	t := f.store.Load()
	s := &State{ro: txn{Txn: t.db.Txn(false), uses: t.uses}}
	s.tx = &s.ro
	return s
}

// KeyDeletions changes whenever a committed write may have deleted an
// access key (and on every restore), so a node can skip checking which of
// the keys it caches still exist while it has not changed.
func (f *FSM) KeyDeletions() uint64 { return f.keyDeletions.Load() }

// AppliedIndex is the index of the last log entry applied on this node.
func (f *FSM) AppliedIndex() uint64 { return f.applied.Load() }

// WaitForIndex blocks until this node has applied index idx or ctx ends.
func (f *FSM) WaitForIndex(ctx context.Context, idx uint64) error {
	for {
		f.mu.Lock()
		ch := f.advance
		f.mu.Unlock()
		if f.applied.Load() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *FSM) setApplied(idx uint64) {
	f.applied.Store(idx)
	f.mu.Lock()
	close(f.advance)
	f.advance = make(chan struct{})
	f.mu.Unlock()
}

// Snapshot implements raft.FSM. memdb snapshots are O(1); the tables are
// written out later by Persist, off raft's main loop.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	t := f.store.Load()
	return &snapshot{db: t.db.Snapshot(), uses: t.uses.freeze(), index: f.applied.Load()}, nil
}

// Restore implements raft.FSM: it replaces the whole state.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	defer collectLessOften()()
	t := newStore()
	tx := t.db.Txn(true)
	index, err := readSnapshot(rc, func(table string, obj any) error {
		if k, ok := obj.(*AccessKey); ok && k.LastUsed != nil {
			t.uses.set(k.AccessKeyID, *k.LastUsed)
			k.LastUsed = nil
		}
		return tx.Insert(table, obj)
	})
	if err != nil {
		tx.Abort()
		return fmt.Errorf("restore snapshot: %w", err)
	}
	tx.Commit()
	if err := rebuildCounters(t.db); err != nil { // counters.go
		return fmt.Errorf("restore snapshot: count rows: %w", err)
	}
	f.store.Store(t)
	f.keyDeletions.Add(1) // the restored state may lack any key
	if index > f.applied.Load() {
		f.setApplied(index)
	}
	f.exportRetained()
	return nil
}

// restoreGCPercent is the collector's target while a restore runs. A
// restore only adds live rows: with the default of 100 the collector marks
// the whole growing state again each time it doubles, about twice the
// final heap in all, while little of what it scans is garbage. At 400 it
// marks far less; the heap the restore ends with is the same. At 400k
// users (BenchmarkScaleState, alternating, with the source state alive in
// the same process) a restore took 3.4-3.5 s instead of 3.6-4.4 s.
const restoreGCPercent = 400

// collectLessOften raises the collector's target to restoreGCPercent unless
// it is already higher or off (GOGC), and returns what puts it back once no
// restore in the process runs (tests run several nodes in one process).
//
// The old target does not come back at once. When a restore ends, the heap
// is far above the goal the old target gives, because that goal follows
// the live heap of the last collection, which the restore has since
// outgrown. A collection that starts that far behind makes every goroutine
// that allocates assist in marking the whole state: at 1M users, 1.5 s of
// assists in a 3.7-5.1 s mark, during which a follower answered no Raft
// heartbeat for up to a second, and one restore failed with "leadership
// lost while committing log". So the last restore to end runs one
// collection at the raised target, in the background (no assists: the
// heap is far below that goal), and puts the old target back after it,
// when the heap meets the old goal.
func collectLessOften() (restore func()) {
	restoring.Lock()
	defer restoring.Unlock()
	if restoring.count == 0 {
		restoring.prev = debug.SetGCPercent(restoreGCPercent)
		if !restoring.raised() {
			debug.SetGCPercent(restoring.prev)
		}
	}
	restoring.count++
	return func() {
		restoring.Lock()
		defer restoring.Unlock()
		if restoring.count > 1 || !restoring.raised() {
			restoring.count--
			return
		}
		restoring.settling.Add(1) // the count stays until the collection is done
		go func() {
			defer restoring.settling.Done()
			runtime.GC()
			restoring.Lock()
			defer restoring.Unlock()
			if restoring.count--; restoring.count == 0 {
				debug.SetGCPercent(restoring.prev)
			}
		}()
	}
}

var restoring restoreGC

type restoreGC struct {
	sync.Mutex
	count    int // restores running, and a collection before the put-back
	prev     int // the target before the first of them
	settling sync.WaitGroup
}

// raised reports whether the restores raised the target: prev was below
// restoreGCPercent, and not off.
func (r *restoreGC) raised() bool { return r.prev >= 0 && r.prev < restoreGCPercent }
