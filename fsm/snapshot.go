package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// Snapshot format: a stream of JSON values. First a header, then one record
// per row of every table, tables in name order:
//
//	{"format":"iamd-fsm","version":1,"index":123}
//	{"t":"tokens","o":{...}}
//	...
//
// Secrets inside rows are already ciphertexts or HMACs, so a snapshot holds
// nothing in clear. Unknown tables in a snapshot are an error: restoring a
// newer node's snapshot on an older binary must not silently drop data.
type snapshotHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Index   uint64 `json:"index"`
}

type snapshotRecord struct {
	Table  string          `json:"t"`
	Object json.RawMessage `json:"o"`
}

const snapshotFormat = "iamd-fsm"

type snapshot struct {
	db    *memdb.MemDB
	uses  *keyUseTable // frozen
	index uint64
}

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if err := writeSnapshot(sink, s.db, s.uses, s.index); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *snapshot) Release() {}

// WriteSnapshot writes the current state in snapshot format (used by the raft
// snapshot API and tests).
func (f *FSM) WriteSnapshot(w io.Writer) error {
	f.commitMu.Lock()
	t := f.store.Load()
	db, uses, index := t.db.Snapshot(), t.uses.freeze(), f.applied.Load()
	f.commitMu.Unlock()
	return writeSnapshot(w, db, uses, index)
}

// Digest is a hash of every table's rows (not of the applied index), equal
// on two nodes exactly when their states are equal. The audit log is left
// out: it records refused requests too, and tests use Digest to show that a
// refusal changed nothing. AuditHead compares logs.
func (f *FSM) Digest() string {
	h := sha256.New()
	f.commitMu.Lock()
	t := f.store.Load()
	tx, uses := t.db.Txn(false), t.uses.freeze()
	f.commitMu.Unlock()
	for _, name := range tableNames() {
		if name == tableAuditLog || name == tableAuditHead {
			continue
		}
		it, err := tx.Get(name, "id")
		if err != nil {
			continue
		}
		h.Write([]byte(name))
		for obj := it.Next(); obj != nil; obj = it.Next() {
			raw, _ := json.Marshal(uses.withUse(obj))
			h.Write(raw)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
