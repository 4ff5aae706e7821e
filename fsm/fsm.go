package fsm

import (
	"context"
	"fmt"
	"io"
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
	db atomic.Pointer[memdb.MemDB]

	applied atomic.Uint64
	mu      sync.Mutex
	advance chan struct{} // closed and replaced each time applied grows

	audit auditFiles // this node's audit file devices (audit_file.go)

	keyDeletions atomic.Uint64 // see KeyDeletions
}

// New returns an FSM with empty tables.
func New() *FSM {
	f := &FSM{advance: make(chan struct{})}
	f.db.Store(newDB())
	return f
}

// State returns a consistent read-only view of the current state.
func (f *FSM) State() *State {
	s := &State{ro: txn{Txn: f.db.Load().Txn(false)}}
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
	return &snapshot{db: f.db.Load().Snapshot(), index: f.applied.Load()}, nil
}

// Restore implements raft.FSM: it replaces the whole state.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	db := newDB()
	tx := db.Txn(true)
	index, err := readSnapshot(rc, tx.Insert)
	if err != nil {
		tx.Abort()
		return fmt.Errorf("restore snapshot: %w", err)
	}
	tx.Commit()
	if err := rebuildCounters(db); err != nil { // counters.go
		return fmt.Errorf("restore snapshot: count rows: %w", err)
	}
	f.db.Store(db)
	f.keyDeletions.Add(1) // the restored state may lack any key
	if index > f.applied.Load() {
		f.setApplied(index)
	}
	f.exportRetained()
	return nil
}
