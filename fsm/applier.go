package fsm

import (
	"time"

	"github.com/hashicorp/raft"

	"iamd/iamerr"
	"iamd/internal/telemetry"
)

// Group commit. Raft hands ApplyBatch every entry committed since its last
// call (about 18 at 64 writing clients); they are applied in one memdb
// write transaction that commits once, instead of a transaction, a commit
// and an audit head row per entry. Readers see the batch's effects at once,
// which is fine: raft answers the batch's futures only after ApplyBatch
// returns.
//
// Each entry must still end as if it had its own transaction: a failed
// command leaves no trace but its audit failure entry. go-memdb has no
// savepoints, so an entry that fails (applier.discard):
//   - goes on in the same transaction when it wrote nothing, which is the
//     usual refusal: checks come before writes;
//   - aborts the transaction and goes on in a fresh one when nothing was
//     written before it, so that the transaction holds only its writes;
//   - otherwise gives up (ok false). ApplyBatch then aborts the batch's
//     transaction and applies the entries from its start to the failed one
//     again, each in a transaction of its own, where one of the two cases
//     above always holds; apply is deterministic, so they give the same
//     results. The next entries form a new group.
//
// Whatever an entry does outside memdb (audit file export, apply-time
// metrics) is kept in the applier and done after the commit, in log order,
// so nothing is exported for writes that were rolled back.

// Apply implements raft.FSM.
func (f *FSM) Apply(l *raft.Log) any {
	a := f.begin()
	res, _ := a.applyLog(l) // alone in its transaction, an entry can always roll back
	a.commit()
	f.setApplied(l.Index)
	return res
}

// ApplyBatch implements raft.BatchingFSM: the entries are applied in one
// transaction, each with its own result.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	telemetry.FSMBatch.Observe(float64(len(logs)))
	out := make([]any, len(logs))
	a := f.begin()
	from := 0 // the first entry in a's transaction
	for i, l := range logs {
		res, ok := a.applyLog(l)
		if ok {
			out[i] = res
			if a.tx.writes >= groupWriteLimit { // key uses are not memdb writes
				a.commit()
				a, from = f.begin(), i+1
			}
			continue
		}
		a.abort()
		for j := from; j <= i; j++ {
			a = f.begin()
			out[j], _ = a.applyLog(logs[j]) // alone in its transaction, an entry can always roll back
			a.commit()
		}
		a, from = f.begin(), i+1
	}
	a.commit()
	if n := len(logs); n > 0 {
		f.setApplied(logs[n-1].Index)
	}
	return out
}

// groupWriteLimit ends a group once its transaction has made this many row
// writes; the next entries go on in a new one. go-immutable-radix tracks
// the watch channels a transaction replaces, 8,192 per index at most;
// past that its commit walks the old and the new tree of every index the
// transaction touched, all of them, to find what changed. A few key-use
// entries of 512 writes in one batch made every commit walk the
// access-key trees whole: at 262,144 keys, 83% of the CPU of publishing
// key uses (BenchmarkRecordKeyUseLargeState). A row write replaces about
// 4-5 channels per index, 9 when a read of the same index came between
// two writes (at 262,144 keys), so a group of at most 512 writes plus one
// such entry stays under the limit, and ordinary batches (a few writes
// per entry) are never split. A variable for tests.
var groupWriteLimit = 512

// applier applies entries in one write transaction.
type applier struct {
	f     *FSM
	store *store // a restore cannot come between an applier's commits
	tx    *txn
	mark  int // tx.writes when the entry being applied began

	// exports splits tx.audit where the audit devices changed: entries are
	// exported to the devices enabled once the entry that wrote them was
	// applied, as if each entry had committed on its own.
	exports []exportRun
	timings []applyTiming
}

type exportRun struct {
	from    int // index in tx.audit of the run's first entry
	devices []*AuditDevice
}

type applyTiming struct {
	command string
	seconds float64
}

func (f *FSM) begin() *applier {
	t := f.store.Load()
	return &applier{f: f, store: t, tx: t.write()}
}

// applyLog applies one entry. ok is false when the entry must roll back
// writes that share the transaction with earlier entries' (see above).
func (a *applier) applyLog(l *raft.Log) (res any, ok bool) {
	if l.Type != raft.LogCommand {
		return nil, true
	}
	a.mark = a.tx.changes()
	from := len(a.tx.audit)
	r, ok := a.apply(l.Index, l.Data)
	if !ok {
		return nil, false
	}
	if a.tx.devicesChanged {
		a.tx.devicesChanged = false
		if len(a.exports) == 0 { // the committed devices: those at the batch's start
			a.exports = append(a.exports, exportRun{devices: a.f.State().AuditDevices()})
		}
		a.exports = append(a.exports, exportRun{from: from, devices: stateOf(a.tx).AuditDevices()})
	}
	return r, true
}

func (a *applier) apply(index uint64, data []byte) (*Result, bool) {
	t, payload, err := Decode(data)
	if err != nil {
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "%v", err)}, true
	}
	start := time.Now()
	if t == CmdAudited {
		defer a.observe("audited", start)
		return a.applyAudited(index, payload)
	}
	def, ok := commands[t]
	if !ok {
		// A newer node wrote a command this binary does not know. Refuse it
		// deterministically rather than guess.
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "unknown command type %d", t)}, true
	}
	defer a.observe(def.name, start)
	value, err := def.apply(a.tx, Env{Index: index}, payload)
	if err != nil {
		return &Result{Index: index, Err: err}, a.discard()
	}
	return &Result{Index: index, Value: value}, true
}

// discard rolls back what the entry being applied has written, if it can
// (see above).
func (a *applier) discard() bool {
	switch {
	case a.tx.changes() == a.mark:
		return true
	case a.mark == 0:
		a.tx.Abort()
		a.tx = a.store.write()
		return true
	}
	return false
}

// observe records one command's apply time (iamd_fsm_apply_duration_seconds)
// once it has committed.
func (a *applier) observe(command string, start time.Time) {
	a.timings = append(a.timings, applyTiming{command, telemetry.Since(start)})
}

func (a *applier) abort() { a.tx.Abort() }

// commit commits the transaction, then exports its audit entries and
// records its metrics.
func (a *applier) commit() {
	a.f.commitMu.Lock()
	a.tx.Commit()
	a.f.commitMu.Unlock()
	if a.tx.keysDeleted {
		a.f.keyDeletions.Add(1)
	}
	for _, t := range a.timings {
		telemetry.FSMApply.WithLabelValues(t.command).Observe(t.seconds)
	}
	entries := a.tx.audit
	if len(entries) == 0 {
		return
	}
	runs := a.exports
	if len(runs) == 0 { // the devices did not change
		runs = []exportRun{{devices: a.f.State().AuditDevices()}}
	}
	for i, r := range runs {
		to := len(entries)
		if i+1 < len(runs) {
			to = runs[i+1].from
		}
		a.f.exportAudit(r.devices, entries[r.from:to])
	}
}
