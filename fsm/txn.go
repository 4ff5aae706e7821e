package fsm

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// txn is the memdb transaction that apply functions and queries receive.
// A batch of log entries is applied in one write transaction (applier.go),
// so txn also keeps what that needs:
//
//   - writes counts the mutations made through it, and useWrites the key
//     uses set or dropped: a command that fails rolls back only what it
//     wrote, and go-memdb has no savepoints, so the applier must know
//     whether there is anything to roll back;
//   - pendingUses holds the key uses set (nil: dropped) until the commit
//     (key_uses.go);
//   - audit lists the audit entries appended, which are exported to the
//     file devices once the transaction has committed;
//   - head is the audit chain's tip while it is ahead of the head row:
//     Commit writes the row once instead of once per entry.
type txn struct {
	*memdb.Txn

	writes         int
	devicesChanged bool // the audit devices table was written
	keysDeleted    bool // an access key row was (or may have been) deleted

	uses        *keyUseTable       // the committed key uses
	pendingUses map[string]*KeyUse // access key ID -> use; nil: drop
	useWrites   int
	usesUnknown bool // keys were deleted other than row by row
	audit       []*AuditEntry
	head        AuditHead
	headMoved   bool
}

// changes counts the writes of both kinds.
func (t *txn) changes() int { return t.writes + t.useWrites }

// Insert, Delete, DeleteAll and DeletePrefix are memdb's, counted. A call
// counts even when it fails: memdb may have changed some indexes already.

func (t *txn) Insert(table string, obj any) error {
	t.wrote(table)
	return t.Txn.Insert(table, obj)
}

func (t *txn) Delete(table string, obj any) error {
	t.deleted(table)
	if k, ok := obj.(*AccessKey); ok && table == tableAccessKeys {
		t.dropKeyUse(k.AccessKeyID)
	}
	return t.Txn.Delete(table, obj)
}

func (t *txn) DeleteAll(table, index string, args ...any) (int, error) {
	t.deletedMany(table)
	return t.Txn.DeleteAll(table, index, args...)
}

func (t *txn) DeletePrefix(table, index, prefix string) (bool, error) {
	t.deletedMany(table)
	return t.Txn.DeletePrefix(table, index, prefix)
}

func (t *txn) deleted(table string) {
	t.wrote(table)
	if table == tableAccessKeys {
		t.keysDeleted = true
	}
}

// deletedMany is deleted for deletes that do not name their rows.
func (t *txn) deletedMany(table string) {
	t.deleted(table)
	if table == tableAccessKeys {
		t.usesUnknown = true
	}
}

func (t *txn) wrote(table string) {
	t.writes++
	if table == tableAuditDevices {
		t.devicesChanged = true
	}
}

// Commit writes the audit head row if entries moved the tip, commits, then
// applies the key uses.
func (t *txn) Commit() {
	if t.headMoved {
		head := t.head
		if err := t.Txn.Insert(tableAuditHead, &head); err != nil {
			panic(fmt.Sprintf("fsm: write audit head: %v", err)) // only a schema bug gets here
		}
	}
	if t.usesUnknown {
		t.dropUsesOfDeletedKeys()
	}
	t.Txn.Commit()
	t.commitKeyUses()
}

// auditHead is the chain's tip as of this transaction.
func (t *txn) auditHead() AuditHead {
	if t.headMoved {
		return t.head
	}
	if h := first[AuditHead](t, tableAuditHead, "id", "head"); h != nil {
		return *h
	}
	return AuditHead{ID: "head"}
}

func (t *txn) moveAuditHead(e *AuditEntry) {
	t.head = AuditHead{ID: "head", Seq: e.Seq, Hash: e.Hash}
	t.headMoved = true
	t.audit = append(t.audit, e)
}
