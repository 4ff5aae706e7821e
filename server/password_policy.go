package server

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"

	"iamd/fsm"
	"iamd/iamerr"
)

// Account password policy (fsm/password_policy.go): AWS
// Update/Get/DeleteAccountPasswordPolicy and sys/security/password-policy.
// New userpass passwords are checked against it (CheckPasswordPolicy).

// Password policy bounds (spec/account-security.md §5.3; AWS limits for
// age and reuse).
const (
	MinPasswordLengthFloor    = 8
	MaxPasswordLengthCeiling  = 128
	DefaultLockoutThresholdPP = 5
	DefaultLockoutMinutesPP   = 5
)

func policyInvalid(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Invalid, "ValidationError", format, args...)
}

// normalizePasswordPolicy validates p and fills the defaults.
func normalizePasswordPolicy(p *fsm.PasswordPolicy) error {
	if p.MinimumPasswordLength == 0 {
		p.MinimumPasswordLength = MinPasswordLengthFloor
	}
	if p.LockoutThreshold == 0 {
		p.LockoutThreshold = DefaultLockoutThresholdPP
	}
	if p.LockoutMinutes == 0 {
		p.LockoutMinutes = DefaultLockoutMinutesPP
	}
	switch {
	case p.MinimumPasswordLength < MinPasswordLengthFloor || p.MinimumPasswordLength > MaxPasswordLengthCeiling:
		return policyInvalid("MinimumPasswordLength must be between %d and %d", MinPasswordLengthFloor, MaxPasswordLengthCeiling)
	case p.MaxPasswordAge < 0 || p.MaxPasswordAge > 1095:
		return policyInvalid("MaxPasswordAge must be between 1 and 1095 days (0: passwords never expire)")
	case p.PasswordReusePrevention < 0 || p.PasswordReusePrevention > fsm.MaxPasswordHistory:
		return policyInvalid("PasswordReusePrevention must be between 1 and %d", fsm.MaxPasswordHistory)
	case p.LockoutThreshold < 1 || p.LockoutThreshold > 100:
		return policyInvalid("LockoutThreshold must be between 1 and 100")
	case p.LockoutMinutes < 1 || p.LockoutMinutes > 1440:
		return policyInvalid("LockoutMinutes must be between 1 and 1440")
	}
	return nil
}

// PutPasswordPolicy replaces the policy of the caller's account.
func (n *Node) PutPasswordPolicy(ctx context.Context, p fsm.PasswordPolicy) (*fsm.PasswordPolicy, error) {
	if err := normalizePasswordPolicy(&p); err != nil {
		return nil, err
	}
	return applyAs[*fsm.PasswordPolicy](ctx, n, fsm.CmdPutPasswordPolicy, fsm.PutPasswordPolicy{Policy: p})
}

// PasswordPolicy returns an account's policy or NoSuchEntity.
func (n *Node) PasswordPolicy(accountID string) (*fsm.PasswordPolicy, error) {
	if p := n.fsm.State().PasswordPolicy(accountID); p != nil {
		return p, nil
	}
	if accountID == "" {
		accountID = n.fsm.State().DefaultAccountID()
	}
	return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The Password Policy with domain name %s cannot be found.", accountID)
}

// DeletePasswordPolicy removes an account's policy.
func (n *Node) DeletePasswordPolicy(ctx context.Context, accountID string) error {
	_, err := n.apply(ctx, fsm.CmdDeletePasswordPolicy, fsm.DeletePasswordPolicy{AccountID: accountID})
	return err
}

// CheckPasswordPolicy checks a new password of userKey (a userpass user
// key, "" for none) against the account's policy: every broken rule is
// named in one PasswordPolicyViolation error.
func (n *Node) CheckPasswordPolicy(accountID, userKey, password string) error {
	st := n.fsm.State()
	p := st.PasswordPolicy(accountID)
	if p == nil {
		return nil
	}
	var broken []string
	if n := len([]rune(password)); n < p.MinimumPasswordLength || n > MaxPasswordLengthCeiling {
		broken = append(broken, "it must be between "+strconv.Itoa(p.MinimumPasswordLength)+" and "+strconv.Itoa(MaxPasswordLengthCeiling)+" characters long")
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(password, f) >= 0 }
	symbol := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) }
	for _, c := range []struct {
		need bool
		ok   func(rune) bool
		what string
	}{
		{p.RequireUppercaseCharacters, unicode.IsUpper, "an uppercase letter"},
		{p.RequireLowercaseCharacters, unicode.IsLower, "a lowercase letter"},
		{p.RequireNumbers, unicode.IsDigit, "a number"},
		{p.RequireSymbols, symbol, "a symbol"},
	} {
		if c.need && !has(c.ok) {
			broken = append(broken, "it must contain "+c.what)
		}
	}
	if p.PasswordReusePrevention > 0 && userKey != "" {
		hist := st.PasswordHistory(userKey)
		for i := 0; i < len(hist) && i < p.PasswordReusePrevention; i++ {
			if checkPassword(hist[i], password) {
				broken = append(broken, "it must differ from the last "+strconv.Itoa(p.PasswordReusePrevention)+" passwords")
				break
			}
		}
	}
	if len(broken) == 0 {
		return nil
	}
	return iamerr.WithCode(iamerr.Invalid, "PasswordPolicyViolation",
		"Password does not conform to the account password policy: %s.", strings.Join(broken, "; "))
}

// checkNewPassword applies the default account's policy to a clear
// userpass password (a given bcrypt hash cannot be checked).
func (n *Node) checkNewPassword(m *fsm.AuthMount, username string, password *string) error {
	if password == nil || *password == "" {
		return nil
	}
	return n.CheckPasswordPolicy("", fsm.UserpassKey(m.Accessor, username), *password)
}

// accountLockout applies the account password policy's lockout settings
// to a mount that sets none of its own (a mount's tune settings are more
// specific and win).
func (n *Node) accountLockout(m *fsm.AuthMount, p fsm.LockoutPolicy) fsm.LockoutPolicy {
	pol := n.fsm.State().PasswordPolicy("")
	if pol == nil {
		return p
	}
	if m.Config.LockoutThreshold <= 0 && pol.LockoutThreshold > 0 {
		p.Threshold = pol.LockoutThreshold
	}
	if m.Config.LockoutDuration <= 0 && pol.LockoutMinutes > 0 {
		p.Duration = time.Duration(pol.LockoutMinutes) * time.Minute
	}
	return p
}

// checkPasswordExpiry refuses a login whose password is older than the
// policy's MaxPasswordAge (it must be reset through users/:name/password).
func (n *Node) checkPasswordExpiry(m *fsm.AuthMount, username string, now time.Time) error {
	st := n.fsm.State()
	pol := st.PasswordPolicy("")
	if pol == nil || pol.MaxPasswordAge <= 0 {
		return nil
	}
	set := st.PasswordSetAt(fsm.UserpassKey(m.Accessor, username))
	if !set.IsZero() && now.After(set.Add(time.Duration(pol.MaxPasswordAge)*24*time.Hour)) {
		return iamerr.WithCode(iamerr.Denied, "PasswordExpired", "password expired: it is older than %d days; an administrator must reset it", pol.MaxPasswordAge)
	}
	return nil
}
