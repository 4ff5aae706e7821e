package server

import (
	"context"
	"strings"

	"iamd/fsm"
	"iamd/iamerr"
)

// Multi-user approval (fsm/approvals.go). The held request itself needs no
// code here: the write path draws an approval id for guardable commands
// (encodeCommand) and Apply decides whether to hold them.

// PendingApprovalID returns the approval id of a request that multi-user
// approval holds, "" for any other error. Dialects render it (Vault: 202
// with the id; AWS: the ApprovalPending error).
func PendingApprovalID(err error) string {
	if err == nil {
		return ""
	}
	e := iamerr.As(err)
	if e.Code != fsm.ErrCodeApprovalPending {
		return ""
	}
	return e.Message[strings.LastIndexByte(e.Message, ' ')+1:]
}

// MUAConfigRequest replaces an account's multi-user approval settings.
type MUAConfigRequest struct {
	AccountID string
	Enabled   bool
	Contacts  []fsm.MUAContact
}

// PutMUAConfig stores the configuration; only the account root may. Apply
// checks that every contact is an entity with an MFA secret enrolled.
func (n *Node) PutMUAConfig(ctx context.Context, caller *Caller, req MUAConfigRequest) (*fsm.MUAConfig, error) {
	if caller == nil || !caller.IsRoot() {
		return nil, iamerr.New(iamerr.Denied, "only the account root may configure multi-user approval")
	}
	for _, c := range req.Contacts {
		if c.EntityID == "" {
			return nil, iamerr.New(iamerr.Invalid, "every security contact needs an entity_id")
		}
	}
	return applyAs[*fsm.MUAConfig](ctx, n, fsm.CmdPutMUAConfig, fsm.PutMUAConfig{Config: fsm.MUAConfig{
		AccountID: req.AccountID, Enabled: req.Enabled, Contacts: req.Contacts,
	}})
}

// MUAConfig returns an account's configuration ("" = default), nil if none.
func (n *Node) MUAConfig(accountID string) *fsm.MUAConfig { return n.fsm.State().MUAConfig(accountID) }

// Approvals lists every approval.
func (n *Node) Approvals() []*fsm.Approval { return n.fsm.State().Approvals() }

// Approval returns one approval, or a not-found error.
func (n *Node) Approval(id string) (*fsm.Approval, error) {
	if a := n.fsm.State().Approval(id); a != nil {
		return a, nil
	}
	return nil, iamerr.New(iamerr.NotFound, "no approval %q", id)
}

// DecideApproval approves (with the contact's TOTP code) or declines an
// approval as the caller's entity. methodID may be empty when the entity
// has one TOTP secret.
func (n *Node) DecideApproval(ctx context.Context, caller *Caller, id string, approve bool, methodID, code string) (*fsm.Approval, error) {
	k, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	if caller == nil || caller.Token == nil || caller.Token.EntityID == "" {
		return nil, iamerr.New(iamerr.Denied, "only a security contact's login token can decide an approval")
	}
	st := n.fsm.State()
	entity := st.Entity(caller.Token.EntityID)
	if entity == nil {
		return nil, iamerr.New(iamerr.Denied, "the caller's entity no longer exists")
	}
	now := n.now().UTC()
	cmd := fsm.DecideApproval{ID: id, EntityID: entity.ID, Approve: approve, Time: now}
	if approve {
		if methodID == "" {
			if len(entity.MFASecrets) != 1 {
				return nil, iamerr.New(iamerr.Invalid, "method_id is required: the contact has %d MFA methods", len(entity.MFASecrets))
			}
			for mid := range entity.MFASecrets {
				methodID = mid
			}
		}
		m := st.MFAMethod(methodID)
		if m == nil {
			return nil, iamerr.New(iamerr.Invalid, "unknown MFA method %q", methodID)
		}
		cmd.Attempt = mfaAttempt(k, m, entity, entity.ID, nil, code, now)
	}
	d, err := applyAs[*fsm.ApprovalDecision](ctx, n, fsm.CmdDecideApproval, cmd)
	if err != nil {
		return nil, err
	}
	switch {
	case d.Failure != "":
		return nil, iamerr.New(iamerr.Denied, "%s", d.Failure)
	case d.Approval.Status == fsm.ApprovalExpired:
		return d.Approval, iamerr.New(iamerr.Invalid, "approval %s expired at %s", id, d.Approval.Deadline.Format("2006-01-02T15:04:05Z"))
	}
	return d.Approval, nil
}
