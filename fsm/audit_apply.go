package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/hashicorp/go-memdb"
	segjson "github.com/segmentio/encoding/json"

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
// entry. A failed inner command is rolled back and its entry written all
// the same, so refusals are logged too. ok is false when the rollback
// needs the batch redone (applier.go).
func (a *applier) applyAudited(index uint64, payload []byte) (res *Result, ok bool) {
	var env auditEnvelope
	if err := segjson.Unmarshal(payload, &env); err != nil { // as the commands (register)
		return &Result{Index: index, Err: iamerr.New(iamerr.Invalid, "decode audited command: %v", err)}, true
	}
	def, known := commands[env.Type]
	if !known || env.Type == CmdAudited {
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "unknown command type %d", env.Type)}, true
	}
	e := Env{Index: index}
	if held, err := holdForApproval(a.tx, e, &env); held {
		if err2 := auditErr(err); err2 != nil {
			return &Result{Index: index, Err: err2}, a.discard()
		}
		return &Result{Index: index, Err: err}, true
	}
	env.Meta.ApprovalID = ""            // drawn in case it was held; it was not
	cmd, err := def.decode(env.Command) // once: targetOf reads the target from it
	var value any
	if err == nil {
		value, err = def.run(a.tx, e, cmd)
	}
	if err == nil {
		value, err = afterApply(a.tx, e, &env, value)
	}
	if err != nil {
		if !a.discard() {
			return nil, false
		}
		var failed *approvalFailure
		if errors.As(err, &failed) {
			// The approved command failed: keep the decision, record why.
			ap, ferr := recordApprovalFailure(a.tx, e, failed)
			if ferr != nil {
				return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "audit: %v", ferr)}, a.discard()
			}
			value, err = &ApprovalDecision{Approval: ap}, nil
		}
	}
	result, detail := auditResult(value, err)
	if err == nil && auditFailures[env.Type] {
		result = auditFailure
	}
	if _, aerr := appendAudit(a.tx, e, env.Meta, AuditActionName(env.Type), targetOf(cmd, env.Command), result, detail,
		env.Type == CmdPutAccountSecurity); aerr != nil {
		return &Result{Index: index, Err: iamerr.New(iamerr.Internal, "audit: %v", aerr)}, a.discard()
	}
	return &Result{Index: index, Value: value, Err: err}, true
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
func appendAudit(tx *txn, env Env, meta AuditMeta, action, target, result, detail string, force bool) (*AuditEntry, error) {
	acct := orDefaultAccount(tx, meta.AccountID)
	if !force && !accountSecurity(tx, acct).AuditEnabled() {
		return nil, nil
	}
	head := tx.auditHead()
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
		// Deleted by key, without looking the row up first; it may be
		// missing (a log restored from a snapshot holds what it held).
		if err := tx.Delete(tableAuditLog, &AuditEntry{Seq: e.Seq - keep}); err != nil && err != memdb.ErrNotFound {
			return nil, err
		}
	}
	tx.moveAuditHead(e)
	return e, nil
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
