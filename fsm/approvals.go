package fsm

import (
	"encoding/json"
	"slices"
	"time"

	"iamd/iamerr"
)

// Multi-user approval (spec/account-security.md §5.3, Wasabi MUA). The
// account root names up to three security contacts — entities with a login
// MFA secret enrolled — and, per contact, the guarded activities. A guarded
// command is not applied: the audit envelope stores it in a pending
// Approval. It is applied, inside the Apply of the last approval, only when
// every contact assigned to its activity approved it before the deadline;
// one decline, or the deadline, voids it. Everything here is decided in
// Apply, so approvals are replicated and audited like any command.

// MaxSecurityContacts is Wasabi's limit.
const MaxSecurityContacts = 3

// ApprovalWindow is how long contacts have to approve.
const ApprovalWindow = 24 * time.Hour

// ErrCodeApprovalPending marks the answer to a held request; its message
// carries the approval id.
const ErrCodeApprovalPending = "ApprovalPending"

// guardedActivities maps each activity a contact can guard to the commands
// that perform it. Types owned by work that lands separately are numbers.
var guardedActivities = map[string][]CommandType{
	"delete_entity":            {CmdDeleteEntities},
	"delete_user":              {CmdDeleteUser, 121},
	"delete_login_enforcement": {CmdDeleteLoginEnforcement},
	"delete_mfa_method":        {CmdDeleteMFAMethod},
	"change_acl_policy":        {CmdPutACLPolicy, CmdDeleteACLPolicy},
	"change_iam_policy": {CmdPutInlinePolicy, CmdDeleteInlinePolicy, CmdCreatePolicyVersion,
		CmdSetDefaultPolicyVersion, CmdAttachPolicy, CmdDetachPolicy, CmdDeletePolicy},
	"delete_audit_config":   {CmdDisableAudit},
	"deactivate_mfa_device": {131}, // TOTP admin-destroy; IAM DeactivateMFADevice joins in iam_mfa_devices.go
	"update_mua":            {CmdPutMUAConfig},
}

// GuardedActivities lists the activity names.
func GuardedActivities() []string {
	out := make([]string, 0, len(guardedActivities))
	for a := range guardedActivities {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// GuardActivity adds command types to an activity (for commands registered
// by other files, such as IAM DeactivateMFADevice).
func GuardActivity(activity string, types ...CommandType) {
	guardedActivities[activity] = append(guardedActivities[activity], types...)
}

// Guardable reports whether some activity covers command type t, so that
// the proposer draws an approval id for it.
func Guardable(t CommandType) bool { return activityOf(t) != "" }

func activityOf(t CommandType) string {
	for _, a := range GuardedActivities() {
		if slices.Contains(guardedActivities[a], t) {
			return a
		}
	}
	return ""
}

// MUAConfig is an account's multi-user approval configuration.
type MUAConfig struct {
	AccountID string
	Enabled   bool
	Contacts  []MUAContact
}

// MUAContact is a security contact and the activities it must approve.
type MUAContact struct {
	EntityID   string
	Activities []string
}

// Approval is a held request.
type Approval struct {
	ID          string
	AccountID   string
	Activity    string
	Action      string // the audit action of the held command
	Target      string
	CommandType CommandType
	Command     json.RawMessage
	Requester   AuditMeta
	Contacts    []string // entity IDs that must approve
	Approved    []string
	DeclinedBy  string
	Status      string // pending | approved | declined | expired | failed
	CreatedAt   time.Time
	Deadline    time.Time
	DecidedAt   time.Time
	Error       string // the held command's failure when it was carried out
}

// Approval statuses.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalDeclined = "declined"
	ApprovalExpired  = "expired"
	ApprovalFailed   = "failed"
)

// StatusAt is the approval's status at now: a pending one past its
// deadline reads as expired before any command records it.
func (a *Approval) StatusAt(now time.Time) string {
	if a.Status == ApprovalPending && now.After(a.Deadline) {
		return ApprovalExpired
	}
	return a.Status
}

const (
	tableMUAConfig = "mua_config"
	tableApprovals = "approvals"
)

const (
	CmdPutMUAConfig   CommandType = 506
	CmdDecideApproval CommandType = 507
)

func init() {
	registerKeyedTable[MUAConfig](tableMUAConfig, "AccountID")
	registerKeyedTable[Approval](tableApprovals, "ID")
	register(CmdPutMUAConfig, "put-mua-config", applyPutMUAConfig)
	register(CmdDecideApproval, "decide-approval", applyDecideApproval)
}

// PutMUAConfig replaces an account's configuration.
type PutMUAConfig struct {
	Config MUAConfig
}

func applyPutMUAConfig(tx *txn, env Env, cmd *PutMUAConfig) (any, error) {
	c := cmd.Config
	c.AccountID = orDefaultAccount(tx, c.AccountID)
	if len(c.Contacts) > MaxSecurityContacts {
		return nil, iamerr.New(iamerr.Invalid, "at most %d security contacts may be named", MaxSecurityContacts)
	}
	seen := map[string]bool{}
	for _, ct := range c.Contacts {
		if seen[ct.EntityID] {
			return nil, iamerr.New(iamerr.Invalid, "security contact %q named twice", ct.EntityID)
		}
		seen[ct.EntityID] = true
		e := first[Entity](tx, tableEntities, "id", ct.EntityID)
		if e == nil {
			return nil, iamerr.New(iamerr.Invalid, "security contact %q is not an entity", ct.EntityID)
		}
		if len(e.MFASecrets) == 0 {
			return nil, iamerr.New(iamerr.Invalid, "security contact %q has no MFA method enrolled", ct.EntityID)
		}
		if len(ct.Activities) == 0 {
			return nil, iamerr.New(iamerr.Invalid, "security contact %q guards no activity", ct.EntityID)
		}
		for _, a := range ct.Activities {
			if _, ok := guardedActivities[a]; !ok {
				return nil, iamerr.New(iamerr.Invalid, "unknown activity %q", a)
			}
		}
	}
	if c.Enabled && len(c.Contacts) == 0 {
		return nil, iamerr.New(iamerr.Invalid, "multi-user approval needs at least one security contact")
	}
	return &c, insert(tx, tableMUAConfig, &c)
}

// holdForApproval stores a guarded command as a pending approval instead
// of applying it. It reports whether it did; the error is then the
// ApprovalPending answer.
func holdForApproval(tx *txn, env Env, ev *auditEnvelope) (bool, error) {
	if ev.Meta.ApprovalID == "" {
		return false, nil
	}
	acct := orDefaultAccount(tx, ev.Meta.AccountID)
	cfg := first[MUAConfig](tx, tableMUAConfig, "id", acct)
	activity := activityOf(ev.Type)
	if cfg == nil || !cfg.Enabled || activity == "" {
		return false, nil
	}
	var contacts []string
	for _, ct := range cfg.Contacts {
		if slices.Contains(ct.Activities, activity) {
			contacts = append(contacts, ct.EntityID)
		}
	}
	if len(contacts) == 0 {
		return false, nil
	}
	if first[Approval](tx, tableApprovals, "id", ev.Meta.ApprovalID) != nil {
		return true, errGeneratedCollision("approval ID")
	}
	a := &Approval{
		ID: ev.Meta.ApprovalID, AccountID: acct, Activity: activity, Action: AuditActionName(ev.Type),
		Target: auditTarget(ev.Command), CommandType: ev.Type, Command: ev.Command, Requester: ev.Meta,
		Contacts: contacts, Status: ApprovalPending, CreatedAt: ev.Meta.Time, Deadline: ev.Meta.Time.Add(ApprovalWindow),
	}
	if err := insert(tx, tableApprovals, a); err != nil {
		return true, err
	}
	if _, err := appendAudit(tx, env, ev.Meta, "approval.request", a.Action+" "+a.Target, auditPending, "", false); err != nil {
		return true, err
	}
	return true, iamerr.WithCode(iamerr.Conflict, ErrCodeApprovalPending,
		"request held for multi-user approval: approval id %s", a.ID)
}

// DecideApproval is one contact's approval or decline. An approval carries
// the server's check of the contact's TOTP code; Apply decides it with the
// login MFA rules (attempt limits, no reuse of a time step).
type DecideApproval struct {
	ID       string
	EntityID string
	Approve  bool
	Time     time.Time
	Attempt  MFAAttempt
}

// ApprovalDecision is DecideApproval's result. Failure is a refused TOTP
// code: the command still applies, so the attempt counts.
type ApprovalDecision struct {
	Approval *Approval
	Failure  string
}

// AuditFailure implements AuditOutcome.
func (d *ApprovalDecision) AuditFailure() string { return d.Failure }

func applyDecideApproval(tx *txn, env Env, cmd *DecideApproval) (any, error) {
	cur := first[Approval](tx, tableApprovals, "id", cmd.ID)
	if cur == nil {
		return nil, iamerr.New(iamerr.NotFound, "no approval %q", cmd.ID)
	}
	if !slices.Contains(cur.Contacts, cmd.EntityID) {
		return nil, iamerr.New(iamerr.Denied, "caller is not a security contact of approval %s", cmd.ID)
	}
	a := *cur
	switch st := a.StatusAt(cmd.Time); {
	case st == ApprovalExpired && a.Status == ApprovalPending:
		a.Status, a.DecidedAt = ApprovalExpired, a.Deadline
		return &ApprovalDecision{Approval: &a}, insert(tx, tableApprovals, &a)
	case st != ApprovalPending:
		return nil, iamerr.New(iamerr.Invalid, "approval %s is %s", a.ID, st)
	case slices.Contains(a.Approved, cmd.EntityID):
		return nil, iamerr.New(iamerr.Invalid, "approval %s was already approved by this contact", a.ID)
	}
	if !cmd.Approve {
		a.Status, a.DeclinedBy, a.DecidedAt = ApprovalDeclined, cmd.EntityID, cmd.Time
		return &ApprovalDecision{Approval: &a}, insert(tx, tableApprovals, &a)
	}
	entity := first[Entity](tx, tableEntities, "id", cmd.EntityID)
	if entity == nil || cmd.Attempt.EntityID != cmd.EntityID {
		return nil, iamerr.New(iamerr.Denied, "security contact %q has no entity", cmd.EntityID)
	}
	if msg := checkTOTP(tx, cmd.Attempt.MethodID, entity, &cmd.Attempt, nil, cmd.Time); msg != "" {
		return &ApprovalDecision{Approval: cur, Failure: msg}, nil
	}
	a.Approved = append(slices.Clone(a.Approved), cmd.EntityID)
	if len(a.Approved) == len(a.Contacts) {
		a.Status, a.DecidedAt = ApprovalApproved, cmd.Time
	}
	return &ApprovalDecision{Approval: &a}, insert(tx, tableApprovals, &a)
}

// approvalFailure is a held command that failed when it was carried out:
// its writes are rolled back and the approval recorded as failed.
type approvalFailure struct {
	approval *Approval
	err      error
}

func (f *approvalFailure) Error() string { return f.err.Error() }

// carryOut applies an approval's held command once the last contact has
// approved it, and audits it under the requester's identity.
func carryOut(tx *txn, env Env, a *Approval) error {
	def, ok := commands[a.CommandType]
	if !ok {
		return &approvalFailure{a, iamerr.New(iamerr.Internal, "unknown command type %d", a.CommandType)}
	}
	value, err := def.apply(tx, env, a.Command)
	if err == nil {
		_, err = afterApply(tx, env, &auditEnvelope{Type: a.CommandType, Meta: a.Requester, Command: a.Command}, value)
	}
	if err != nil {
		return &approvalFailure{a, err}
	}
	_, err = appendAudit(tx, env, a.Requester, a.Action, a.Target, auditSuccess, "", false)
	return err
}

// recordApprovalFailure stores a failed approval, once the held command's
// writes are rolled back.
func recordApprovalFailure(tx *txn, env Env, f *approvalFailure) (*Approval, error) {
	a := *f.approval
	a.Status = ApprovalFailed
	a.Error = iamerr.As(f.err).Message
	if err := insert(tx, tableApprovals, &a); err != nil {
		return nil, err
	}
	_, detail := auditResult(nil, f.err)
	_, err := appendAudit(tx, env, a.Requester, a.Action, a.Target, auditFailure, detail, false)
	return &a, err
}

// afterApply runs what follows a successful audited command: login session
// bookkeeping, and carrying out an approval that just became complete.
func afterApply(tx *txn, env Env, ev *auditEnvelope, value any) (any, error) {
	if err := recordLoginSession(tx, ev.Meta, value); err != nil {
		return nil, err
	}
	if err := recordPasswordHistory(tx, ev); err != nil {
		return nil, err
	}
	if d, ok := value.(*ApprovalDecision); ok && d.Failure == "" && d.Approval.Status == ApprovalApproved {
		if err := carryOut(tx, env, d.Approval); err != nil {
			return nil, err
		}
	}
	return value, nil
}

// MUAConfig returns an account's configuration, nil if none.
func (s *State) MUAConfig(acct string) *MUAConfig {
	acct = orDefaultAccount(s.tx, acct)
	return first[MUAConfig](s.tx, tableMUAConfig, "id", acct)
}

// Approval returns an approval by ID, or nil.
func (s *State) Approval(id string) *Approval { return first[Approval](s.tx, tableApprovals, "id", id) }

// Approvals lists every approval (bounded by the requests made; decided
// ones are kept for the record).
func (s *State) Approvals() []*Approval { return all[Approval](s.tx, tableApprovals, "id") }
