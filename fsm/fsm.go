package fsm

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"

	"iamd/iamerr"
	"iamd/internal/telemetry"
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
}

// New returns an FSM with empty tables.
func New() *FSM {
	f := &FSM{advance: make(chan struct{})}
	f.db.Store(newDB())
	return f
}

// State returns a consistent read-only view of the current state.
func (f *FSM) State() *State {
	return &State{tx: f.db.Load().Txn(false)}
}

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

// Apply implements raft.FSM.
func (f *FSM) Apply(l *raft.Log) any {
	defer f.setApplied(l.Index)
	if l.Type != raft.LogCommand {
		return nil
	}
	return f.apply(l.Index, l.Data)
}

// ApplyBatch implements raft.BatchingFSM: entries raft hands over together are
// applied one after another, each in its own transaction, so one failing
// command never affects its neighbours.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	telemetry.FSMBatch.Observe(float64(len(logs)))
	out := make([]any, len(logs))
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			out[i] = f.apply(l.Index, l.Data)
		}
	}
	if n := len(logs); n > 0 {
		f.setApplied(logs[n-1].Index)
	}
	return out
}

func (f *FSM) apply(index uint64, data []byte) *Result {
	t, payload, err := Decode(data)
	if err != nil {
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "%v", err)}
	}
	start := time.Now()
	if t == CmdAudited {
		defer observeApply("audited", start)
		return f.applyAudited(index, payload)
	}
	def, ok := commands[t]
	if !ok {
		// A newer node wrote a command this binary does not know. Refuse it
		// deterministically rather than guess.
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "unknown command type %d", t)}
	}
	defer observeApply(def.name, start)
	tx := f.db.Load().Txn(true)
	value, err := def.apply(tx, Env{Index: index}, payload)
	if err != nil {
		tx.Abort()
		return &Result{Index: index, Err: err}
	}
	tx.Commit()
	return &Result{Index: index, Value: value}
}

// observeApply records one command's apply time (iamd_fsm_apply_duration_seconds).
func observeApply(command string, start time.Time) {
	telemetry.FSMApply.WithLabelValues(command).Observe(telemetry.Since(start))
}

// Snapshot implements raft.FSM. memdb snapshots are O(1); the tables are
// written out later by Persist, off raft's main loop.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &snapshot{db: f.db.Load().Snapshot(), index: f.applied.Load()}, nil
}

// Restore implements raft.FSM: it replaces the whole state.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	db, index, err := readSnapshot(rc)
	if err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	if err := rebuildCounters(db); err != nil { // counters.go
		return fmt.Errorf("restore snapshot: count rows: %w", err)
	}
	f.db.Store(db)
	if index > f.applied.Load() {
		f.setApplied(index)
	}
	f.exportRetained()
	return nil
}
