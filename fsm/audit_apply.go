package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// Audit results.
const (
	auditSuccess = "success"
	auditFailure = "failure"
	auditPending = "pending"
)

// AuditOutcome lets a command's result report a failure that is not an
// error (an error would roll back counters the command must keep, as a
// failed MFA code does). A non-empty string marks the entry as a failure.
type AuditOutcome interface {
	AuditFailure() string
}

// applyAudited applies an audit envelope: the inner command (unless
// multi-user approval holds it), the hooks that follow it, and its audit
// entry. A failed inner command is rolled back and its entry written in a
// fresh transaction, so refusals are logged too.
func (f *FSM) applyAudited(index uint64, payload []byte) *Result {
	var env auditEnvelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return &Result{Index: index, Err: iamerr.New(iamerr.Invalid, "decode audited command: %v", err)}
	}
	def, ok := commands[env.Type]
	if !ok || env.Type == CmdAudited {
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "unknown command type %d", env.Type)}
	}
	e := Env{Index: index}
	db := f.db.Load()
	tx := db.Txn(true)
	var written []*AuditEntry
	if held, err := holdForApproval(tx, e, &env, &written); held {
		if err2 := auditErr(err); err2 != nil {
			tx.Abort()
			return &Result{Index: index, Err: err2}
		}
		tx.Commit()
		f.exportAudit(written)
		return &Result{Index: index, Err: err}
	}
	env.Meta.ApprovalID = ""            // drawn in case it was held; it was not
	cmd, err := def.decode(env.Command) // once: targetOf reads the target from it
	var value any
	if err == nil {
		value, err = def.run(tx, e, cmd)
	}
	if err == nil {
		value, err = afterApply(tx, e, &env, value, &written)
	}
	if err != nil {
		tx.Abort()
		tx = db.Txn(true)
		written = nil
		var failed *approvalFailure
		if errors.As(err, &failed) {
			// The approved command failed: keep the decision, record why.
			a, entry, ferr := recordApprovalFailure(tx, e, failed)
			if ferr != nil {
				tx.Abort()
				return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "audit: %v", ferr)}
			}
			value, err = &ApprovalDecision{Approval: a}, nil
			written = append(written, entry)
		}
	}
	result, detail := auditResult(value, err)
	if err == nil && auditFailures[env.Type] {
		result = auditFailure
	}
	entry, aerr := appendAudit(tx, e, env.Meta, AuditActionName(env.Type), targetOf(cmd, env.Command), result, detail,
		env.Type == CmdPutAccountSecurity)
	if aerr != nil {
		tx.Abort()
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "audit: %v", aerr)}
	}
	tx.Commit()
	f.exportAudit(append(written, entry))
	return &Result{Index: index, Value: value, Err: err}
}

// auditErr separates the pending-approval answer (not a failure of the
// apply) from real failures.
func auditErr(err error) error {
	if err == nil || iamerr.As(err).Code == ErrCodeApprovalPending {
		return nil
	}
	return err
}

func auditResult(value any, err error) (string, string) {
	if err != nil {
		e := iamerr.As(err)
		detail := string(e.Kind)
		if e.Code != "" {
			detail += ":" + e.Code
		}
		return auditFailure, detail
	}
	if o, ok := value.(AuditOutcome); ok {
		if msg := o.AuditFailure(); msg != "" {
			return auditFailure, msg
		}
	}
	return auditSuccess, ""
}

// appendAudit adds an entry to the chain, unless logging is off for the
// entry's account (force: the entry records the switch itself). It returns
// nil when nothing was written.
func appendAudit(tx *memdb.Txn, env Env, meta AuditMeta, action, target, result, detail string, force bool) (*AuditEntry, error) {
	acct := orDefaultAccount(tx, meta.AccountID)
	if !force && !accountSecurity(tx, acct).AuditEnabled() {
		return nil, nil
	}
	head := AuditHead{ID: "head"}
	if h := first[AuditHead](tx, tableAuditHead, "id", "head"); h != nil {
		head = *h
	}
	e := &AuditEntry{
		Seq: head.Seq + 1, Time: meta.Time.UTC(), Index: env.Index, Node: meta.Node, RequestID: meta.RequestID,
		AccountID: acct, Principal: meta.Principal, TokenHMAC: meta.TokenHMAC, SourceIP: meta.SourceIP,
		Action: action, Target: target, Result: result, Error: detail, ApprovalID: meta.ApprovalID, Prev: head.Hash,
	}
	e.Hash = AuditEntryHash(e)
	if err := insert(tx, tableAuditLog, e); err != nil {
		return nil, err
	}
	if keep := uint64(AuditRetention); e.Seq > keep {
		if old := first[AuditEntry](tx, tableAuditLog, "id", e.Seq-keep); old != nil {
			if err := tx.Delete(tableAuditLog, old); err != nil {
				return nil, err
			}
		}
	}
	head.Seq, head.Hash = e.Seq, e.Hash
	return e, insert(tx, tableAuditHead, &head)
}

// AuditEntryHash is the hex SHA-256 of e's JSON encoding with Hash empty.
// The encoding of a struct is deterministic (field order, sorted map keys),
// so the verifier recomputes it from a parsed line.
func AuditEntryHash(e *AuditEntry) string {
	c := *e
	c.Hash = ""
	raw, _ := json.Marshal(&c)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
