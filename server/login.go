package server

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/iamerr"
)

// Password logins and login MFA (spec/vault.md §5.3-5.5, §6.1). The node
// checks the password and the TOTP codes (it holds the keyring); one FSM
// command then decides lockout, entity, enforcements, replay and counters.

// PendingMFATTL is how long a two-phase login waits for sys/mfa/validate.
const PendingMFATTL = 300 * time.Second

// Lockout defaults (docs concepts/user-lockout).
const (
	DefaultLockoutThreshold    = 5
	DefaultLockoutDuration     = 15 * time.Minute
	DefaultLockoutCounterReset = 15 * time.Minute
)

// MFAHeaderWarning is Vault's warning for an X-Vault-MFA header on a login
// no enforcement applies to.
const MFAHeaderWarning = "Found MFA header but failed to find MFA Enforcement Config"

// MFACredential is one X-Vault-MFA header or mfa_payload entry: a method
// ID or name, and the passcode ("" for none).
type MFACredential struct {
	Method   string
	Passcode string
}

// LoginResult is a finished login, or the MFA it waits for.
type LoginResult struct {
	Issued      *IssuedToken
	EntityID    string
	Requirement *MFARequirement
	Warnings    []string
}

// MFARequirement is auth.mfa_requirement of a two-phase login.
type MFARequirement struct {
	RequestID   string
	Constraints map[string][]MFAConstraintMethod // enforcement name -> any of
}

// MFAConstraintMethod is one method that satisfies an enforcement.
type MFAConstraintMethod struct {
	Type         string
	ID           string
	Name         string
	UsesPasscode bool
	Enrollment   *TOTPEnrollment // self-enrolment offer, shown once
}

// LockoutPolicyFor resolves a mount's user lockout settings.
func LockoutPolicyFor(m *fsm.AuthMount) fsm.LockoutPolicy {
	p := fsm.LockoutPolicy{
		Threshold: m.Config.LockoutThreshold, Duration: m.Config.LockoutDuration,
		CounterReset: m.Config.LockoutCounterReset, Disabled: m.Config.DisableLockout,
	}
	if p.Threshold <= 0 {
		p.Threshold = DefaultLockoutThreshold
	}
	if p.Duration <= 0 {
		p.Duration = DefaultLockoutDuration
	}
	if p.CounterReset <= 0 {
		p.CounterReset = DefaultLockoutCounterReset
	}
	return p
}

var errBadCredentials = iamerr.New(iamerr.Invalid, "invalid username or password")

// LoginUserpass logs a user in through a userpass mount. header holds the
// X-Vault-MFA credentials (headerGiven when the header was present).
func (n *Node) LoginUserpass(ctx context.Context, m *fsm.AuthMount, username, password string,
	header []MFACredential, headerGiven bool) (*LoginResult, error) {
	k, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	if err := userpassMount(m); err != nil {
		return nil, err
	}
	// API access rules apply to logins too (spec/account-security.md §5):
	// a refused address must not even get to try a password.
	if err := n.vaultAdmit(ctx); err != nil {
		return nil, err
	}
	username = strings.ToLower(strings.TrimSpace(username))
	if password == "" {
		return nil, iamerr.New(iamerr.Invalid, "missing password")
	}
	st := n.State()
	now := n.now().UTC()
	policy := n.accountLockout(m, LockoutPolicyFor(m)) // password_policy.go
	if !policy.Disabled && st.LoginLockout(m.Accessor, username).Locked(now) {
		return nil, iamerr.New(iamerr.Denied, "permission denied")
	}
	user := st.UserpassUser(m.Accessor, username)
	if user == nil {
		checkPassword(dummyHash(), password)
		return nil, errBadCredentials
	}
	if !checkPassword(user.PasswordHash, password) {
		if _, err := n.apply(ctx, fsm.CmdRecordLoginFailure, fsm.RecordLoginFailure{
			MountAccessor: m.Accessor, Username: username, Policy: policy, Time: now,
		}); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	if err := checkBoundCIDRs(ctx, user.Token.BoundCIDRs); err != nil { // bound_cidrs.go
		return nil, err
	}
	if err := n.checkPasswordExpiry(m, username, now); err != nil { // password_policy.go
		return nil, err
	}
	cmd := fsm.Login{
		Template: loginTemplate(m, user), Lockout: policy, Time: now, HeaderGiven: headerGiven,
		PendingTTL: PendingMFATTL,
	}
	cmd.NewEntityID, cmd.NewEntityName, cmd.NewAliasID = newUUID(), "entity_"+newHex8(), newUUID()
	entityID, entity := cmd.NewEntityID, (*fsm.Entity)(nil)
	if a := st.EntityAliasByFactors(m.Accessor, username); a != nil {
		entityID, entity = a.CanonicalID, st.Entity(a.CanonicalID)
	}
	var offers map[string]TOTPEnrollment
	if headerGiven {
		cmd.Attempts = headerAttempts(k, st, entity, entityID, header, now)
	} else {
		cmd.EnrollEntityID = entityID
		if cmd.Enroll, offers, err = enrolmentOffers(k, st, m, entity, entityID); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		cmd.PendingID = newUUID()
		tokenID := newTokenID()
		cmd.TokenHMAC, cmd.TokenAccessor = k.HMAC(tokenID), newAccessor()
		out, err := applyAs[*fsm.LoginOutcome](ctx, n, fsm.CmdLogin, cmd)
		if err != nil {
			if iamerr.As(err).Code == "retry" && attempt < 3 {
				// A drawn ID was taken; a new entity's enrolment offer is
				// bound to its ID, so it is dropped with it.
				cmd.NewEntityID, cmd.NewEntityName, cmd.NewAliasID = newUUID(), "entity_"+newHex8(), newUUID()
				continue
			}
			return nil, err
		}
		return n.loginResult(ctx, out, tokenID, offers)
	}
}

// loginResult turns an outcome into the answer of a login.
func (n *Node) loginResult(ctx context.Context, out *fsm.LoginOutcome, tokenID string, offers map[string]TOTPEnrollment) (*LoginResult, error) {
	res := &LoginResult{EntityID: out.EntityID}
	switch {
	case out.MFAFailure != "":
		// A failed X-Vault-MFA login says no more than this.
		return nil, iamerr.New(iamerr.Denied, "permission denied")
	case out.Pending != nil:
		res.Requirement = n.mfaRequirement(out, offers)
	case out.Token != nil:
		res.Issued = &IssuedToken{ID: tokenID, Token: out.Token}
		if out.NoEnforcement {
			res.Warnings = append(res.Warnings, MFAHeaderWarning)
		}
	}
	return res, nil
}

// mfaRequirement describes the enforcements a pending login must satisfy.
func (n *Node) mfaRequirement(out *fsm.LoginOutcome, offers map[string]TOTPEnrollment) *MFARequirement {
	st := n.State()
	req := &MFARequirement{RequestID: out.Pending.ID, Constraints: map[string][]MFAConstraintMethod{}}
	enrolled := map[string]bool{}
	for _, id := range out.Enrolled {
		enrolled[id] = true
	}
	for _, name := range out.Enforcements {
		e := st.LoginEnforcement(name)
		if e == nil {
			continue
		}
		var any []MFAConstraintMethod
		for _, id := range e.MFAMethodIDs {
			m := st.MFAMethod(id)
			if m == nil {
				continue
			}
			c := MFAConstraintMethod{Type: m.Type, ID: m.ID, Name: m.Name, UsesPasscode: true}
			if o, ok := offers[id]; ok && enrolled[id] {
				c.Enrollment = &o
			}
			any = append(any, c)
		}
		req.Constraints[name] = any
	}
	return req
}

// loginTemplate is the token a user's login issues: the user's token
// fields over the mount's tuning over the system defaults.
func loginTemplate(m *fsm.AuthMount, u *fsm.UserpassUser) fsm.LoginTemplate {
	p := u.Token
	policies := removeString(normalizePolicies(p.Policies), "default")
	if !p.NoDefaultPolicy {
		policies = append(policies, "default")
	}
	sort.Strings(policies)
	ttl, max := p.TTL, p.MaxTTL
	if ttl == 0 {
		ttl = m.Config.DefaultLeaseTTL
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if max == 0 {
		max = m.Config.MaxLeaseTTL
	}
	if max == 0 {
		max = MaxTokenTTL
	}
	if ttl > max {
		ttl = max
	}
	if p.Period > 0 {
		ttl = p.Period
	}
	if p.ExplicitMaxTTL > 0 && ttl > p.ExplicitMaxTTL {
		ttl = p.ExplicitMaxTTL
	}
	mountName := strings.ReplaceAll(strings.TrimSuffix(m.Path, "/"), "/", "-")
	return fsm.LoginTemplate{
		Policies: policies, Meta: map[string]string{"username": u.Username},
		DisplayName: mountName + "-" + u.Username, Path: "auth/" + m.Path + "login/" + u.Username,
		TTL: ttl, ExplicitMaxTTL: p.ExplicitMaxTTL, Period: p.Period, NumUses: p.NumUses,
		MountAccessor: m.Accessor, MountType: m.Type, Username: u.Username, BoundCIDRs: p.BoundCIDRs,
	}
}

// CatchUp waits (at most localApplyWait) until this node has applied
// everything it knows the cluster committed, and reports whether it was
// behind. Reads that miss an object another node may have just written
// call it once.
func (n *Node) CatchUp(ctx context.Context) bool {
	r := n.Raft()
	if r == nil {
		return false
	}
	target := r.CommitIndex()
	if n.fsm.AppliedIndex() >= target {
		return false
	}
	n.waitApplied(ctx, target)
	return true
}

// pendingMFA finds a pending login. The node may not have applied the
// entry that made it yet: a follower may be behind (the login was answered
// by another node a moment ago), and a leader elected a moment ago applies
// the previous terms' entries only once its first entry commits. So a miss
// is retried for up to a second: a follower waits out that second, a leader
// until it has applied its whole log. A node that cannot tell by then (no
// leader, or a leader still applying) answers Unavailable, which clients
// retry, rather than "invalid request ID", which they do not.
func (n *Node) pendingMFA(ctx context.Context, id string) (*fsm.State, *fsm.PendingMFA, error) {
	deadline := time.Now().Add(time.Second)
	var leaderTarget uint64 // the leader's last index at its first miss
	for {
		st := n.State()
		if p := st.PendingMFA(id); p != nil {
			return st, p, nil
		}
		r := n.Raft()
		if r == nil || ctx.Err() != nil {
			return st, nil, nil
		}
		leader := r.State() == raft.Leader
		if leader {
			if leaderTarget == 0 {
				leaderTarget = r.LastIndex()
			}
			if n.fsm.AppliedIndex() >= leaderTarget {
				return st, nil, nil
			}
		}
		if time.Now().After(deadline) {
			if leader || r.Leader() == "" {
				return st, nil, iamerr.New(iamerr.Unavailable, "cannot look up the MFA request: no leader, or the state is catching up; try again")
			}
			return st, nil, nil
		}
		if !n.CatchUp(ctx) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}
