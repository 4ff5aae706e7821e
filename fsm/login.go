package fsm

import (
	"time"

	"iamd/iamerr"
)

// Login through an auth mount (spec/vault.md §4.1, §5.2-5.4). The password
// is checked by the proposer; this command decides everything that depends
// on state, in one entry: the user's lockout, the entity and alias of a
// first login, which enforcements apply, and then either the token, the
// single-phase MFA check, or a pending MFA login for sys/mfa/validate.

// LoginTemplate is the token a login will issue, without the parts drawn
// when it is issued (ID, accessor, times).
type LoginTemplate struct {
	Policies       []string
	Meta           StringMap
	DisplayName    string
	Path           string
	TTL            time.Duration
	ExplicitMaxTTL time.Duration
	Period         time.Duration
	NumUses        int
	MountAccessor  string
	MountType      string
	Username       string // alias name on the mount
	BoundCIDRs     []string
}

// IssueToken completes a template into a login token (orphan, service).
func (t *LoginTemplate) IssueToken(hmac, accessor, entityID string, now time.Time) Token {
	meta := t.Meta
	if meta == nil {
		meta = map[string]string{}
	}
	return Token{
		HMAC: hmac, Accessor: accessor, Policies: t.Policies, Meta: meta, DisplayName: t.DisplayName,
		Path: t.Path, NumUses: t.NumUses, Orphan: true, Renewable: true, Type: "service",
		EntityID: entityID, CreationTime: now, IssueTime: now, CreationTTL: t.TTL,
		ExplicitMaxTTL: t.ExplicitMaxTTL, Period: t.Period, ExpireTime: now.Add(t.TTL),
		BoundCIDRs: t.BoundCIDRs,
	}
}

// PendingMFA is a login waiting for sys/mfa/validate. It is replicated, so
// it can be completed on any node and survives a leader change.
type PendingMFA struct {
	ID        string
	EntityID  string
	Template  LoginTemplate
	ExpiresAt time.Time
	// Enroll holds TOTP secrets offered to a user without one (method
	// self-enrolment), sealed by the proposer; the first good code moves
	// the secret to the entity.
	Enroll map[string][]byte
}

const tablePendingMFA = "mfa_pending_logins"

const (
	CmdLogin       CommandType = 125
	CmdValidateMFA CommandType = 126
)

func init() {
	registerKeyedTable[PendingMFA](tablePendingMFA, "ID")
	register(CmdLogin, "login", applyLogin)
	register(CmdValidateMFA, "validate-mfa", applyValidateMFA)
}

// Login completes a login whose credentials the proposer verified.
type Login struct {
	Template      LoginTemplate
	Lockout       LockoutPolicy
	Time          time.Time
	NewEntityID   string // for a first login: the entity and alias to create
	NewEntityName string
	NewAliasID    string
	// TokenHMAC and TokenAccessor identify the token issued when no MFA
	// stands in the way.
	TokenHMAC     string
	TokenAccessor string
	// Single-phase MFA (X-Vault-MFA): the proposer's checks of the codes.
	HeaderGiven bool
	Attempts    []MFAAttempt
	// Two-phase MFA: the pending login to create, and self-enrolment
	// secrets for EnrollEntityID's methods.
	PendingID      string
	PendingTTL     time.Duration
	EnrollEntityID string
	Enroll         map[string][]byte
}

// LoginOutcome is what a login or a validation decided. Failures that must
// keep their counters are reported here rather than as errors, since an
// error would roll the transaction back.
type LoginOutcome struct {
	EntityID      string
	Token         *Token      // issued
	Pending       *PendingMFA // two-phase MFA required
	Enforcements  []string    // names of the matching enforcements
	Enrolled      []string    // methods offered for self-enrolment
	MFAFailure    string      // single-phase or validation failure, "" if none
	NoEnforcement bool        // an MFA header was sent but nothing required it
}

var errBadCredentials = iamerr.New(iamerr.Invalid, "invalid username or password")

func applyLogin(tx *txn, env Env, cmd *Login) (any, error) {
	t := cmd.Template
	key := UserpassKey(t.MountAccessor, t.Username)
	if first[LoginLockout](tx, tableLoginLockouts, "id", key).Locked(cmd.Time) && !cmd.Lockout.Disabled {
		return nil, iamerr.New(iamerr.Denied, "permission denied")
	}
	mount := first[AuthMount](tx, tableAuthMounts, "accessor", t.MountAccessor)
	if mount == nil || first[UserpassUser](tx, tableUserpassUsers, "id", key) == nil {
		return nil, errBadCredentials // removed since the proposer looked
	}
	if err := clearLoginFailures(tx, key); err != nil {
		return nil, err
	}
	entity, err := loginEntity(tx, cmd, mount)
	if err != nil {
		return nil, err
	}
	if entity.Disabled {
		return nil, iamerr.New(iamerr.Denied, "permission denied")
	}
	sweepPendingMFA(tx, cmd.Time)
	out := &LoginOutcome{EntityID: entity.ID}
	matched := matchEnforcements(tx, mount, entity.ID)
	for _, e := range matched {
		out.Enforcements = append(out.Enforcements, e.Name)
	}
	switch {
	case len(matched) == 0:
		out.NoEnforcement = cmd.HeaderGiven
	case cmd.HeaderGiven:
		if msg := checkEnforcements(tx, matched, entity, cmd.Attempts, nil, cmd.Time); msg != "" {
			out.MFAFailure = msg
			return out, nil
		}
	default:
		p := &PendingMFA{ID: cmd.PendingID, EntityID: entity.ID, Template: t, ExpiresAt: cmd.Time.Add(cmd.PendingTTL)}
		if first[PendingMFA](tx, tablePendingMFA, "id", p.ID) != nil {
			return nil, errGeneratedCollision("MFA request ID")
		}
		if cmd.EnrollEntityID == entity.ID {
			p.Enroll, out.Enrolled = enrolmentOffers(tx, matched, entity, cmd.Enroll)
		}
		if err := insert(tx, tablePendingMFA, p); err != nil {
			return nil, err
		}
		out.Pending = p
		return out, nil
	}
	tok := t.IssueToken(cmd.TokenHMAC, cmd.TokenAccessor, entity.ID, cmd.Time)
	if err := insertLoginToken(tx, &tok); err != nil {
		return nil, err
	}
	out.Token = &tok
	return out, nil
}

func insertLoginToken(tx *txn, t *Token) error {
	if first[Token](tx, tableTokens, "id", t.HMAC) != nil || first[Token](tx, tableTokens, "accessor", t.Accessor) != nil {
		return errGeneratedCollision("token")
	}
	return insert(tx, tableTokens, t)
}

// loginEntity returns the entity behind the login's alias, creating both
// on a first login. Deciding it here means two concurrent first logins
// cannot create two entities.
func loginEntity(tx *txn, cmd *Login, mount *AuthMount) (*Entity, error) {
	t := cmd.Template
	if a := first[EntityAlias](tx, tableEntityAliases, "factors", t.MountAccessor, t.Username); a != nil {
		if e := first[Entity](tx, tableEntities, "id", a.CanonicalID); e != nil {
			return e, nil
		}
		return nil, iamerr.New(iamerr.Internal, "alias %s has no entity", a.ID)
	}
	if first[Entity](tx, tableEntities, "id", cmd.NewEntityID) != nil ||
		first[Entity](tx, tableEntities, "name", cmd.NewEntityName) != nil ||
		first[EntityAlias](tx, tableEntityAliases, "id", cmd.NewAliasID) != nil {
		return nil, errGeneratedCollision("entity")
	}
	e := &Entity{ID: cmd.NewEntityID, Name: cmd.NewEntityName, CreationTime: cmd.Time, LastUpdateTime: cmd.Time}
	a := &EntityAlias{
		ID: cmd.NewAliasID, CanonicalID: e.ID, MountAccessor: mount.Accessor, Name: t.Username,
		Local: mount.Local, CreationTime: cmd.Time, LastUpdateTime: cmd.Time,
	}
	if err := insert(tx, tableEntities, e); err != nil {
		return nil, err
	}
	return e, insert(tx, tableEntityAliases, a)
}

// sweepPendingMFA drops pending logins that expired before now. Logins are
// rare next to reads, so scanning the (small) table here keeps it bounded
// without a timer.
func sweepPendingMFA(tx *txn, now time.Time) {
	for _, p := range all[PendingMFA](tx, tablePendingMFA, "id") {
		if !now.Before(p.ExpiresAt) {
			tx.Delete(tablePendingMFA, p)
		}
	}
}

// ValidateMFA completes a pending login (sys/mfa/validate).
type ValidateMFA struct {
	RequestID     string
	Attempts      []MFAAttempt
	TokenHMAC     string
	TokenAccessor string
	Time          time.Time
}

var errInvalidRequestID = iamerr.New(iamerr.Invalid, "invalid request ID")

func applyValidateMFA(tx *txn, env Env, cmd *ValidateMFA) (any, error) {
	p := first[PendingMFA](tx, tablePendingMFA, "id", cmd.RequestID)
	if p == nil || !cmd.Time.Before(p.ExpiresAt) {
		return nil, errInvalidRequestID
	}
	entity := first[Entity](tx, tableEntities, "id", p.EntityID)
	mount := first[AuthMount](tx, tableAuthMounts, "accessor", p.Template.MountAccessor)
	if entity == nil || mount == nil {
		return nil, iamerr.New(iamerr.Denied, "MFA validation failed. entity not found")
	}
	matched := matchEnforcements(tx, mount, entity.ID)
	if len(matched) == 0 {
		return nil, iamerr.New(iamerr.Invalid, "found nil or empty MFAEnforcement configuration")
	}
	out := &LoginOutcome{EntityID: entity.ID}
	if msg := checkEnforcements(tx, matched, entity, cmd.Attempts, p.Enroll, cmd.Time); msg != "" {
		// The pending login stays: it can be retried until it expires or
		// the method locks the entity out.
		out.MFAFailure = msg
		return out, nil
	}
	if err := tx.Delete(tablePendingMFA, p); err != nil {
		return nil, err
	}
	tok := p.Template.IssueToken(cmd.TokenHMAC, cmd.TokenAccessor, entity.ID, cmd.Time)
	if err := insertLoginToken(tx, &tok); err != nil {
		return nil, err
	}
	out.Token = &tok
	return out, nil
}

// PendingMFA returns a pending login by request ID, or nil.
func (s *State) PendingMFA(id string) *PendingMFA {
	return first[PendingMFA](s.tx, tablePendingMFA, "id", id)
}
