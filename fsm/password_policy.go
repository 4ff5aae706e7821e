package fsm

import (
	"encoding/json"
	"time"

	"iamd/iamerr"
)

// Account password policy (AWS UpdateAccountPasswordPolicy; Wasabi's
// console password policy). The server checks a new password against it
// (length, classes, reuse of the last N); the history of password hashes
// it needs is recorded here, in Apply, when a userpass password is set.

// PasswordPolicy is one account's policy. Zero fields mean "not required".
type PasswordPolicy struct {
	AccountID                  string
	MinimumPasswordLength      int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int // days; 0 = never expire
	PasswordReusePrevention    int // last N passwords refused; 0 = off
	HardExpiry                 bool
	LockoutThreshold           int // failed logins before lockout
	LockoutMinutes             int
}

// PasswordHistory holds a user's last password hashes, newest first.
type PasswordHistory struct {
	Key    string // the userpass user key
	Hashes []string
	SetAt  time.Time // when the current password was set (expiry)
}

// MaxPasswordHistory bounds the history (AWS allows reuse prevention 1..24).
const MaxPasswordHistory = 24

const (
	tablePasswordPolicy  = "password_policies"
	tablePasswordHistory = "password_history"
)

const (
	CmdPutPasswordPolicy    CommandType = 508
	CmdDeletePasswordPolicy CommandType = 509
)

func init() {
	registerKeyedTable[PasswordPolicy](tablePasswordPolicy, "AccountID")
	registerKeyedTable[PasswordHistory](tablePasswordHistory, "Key")
	register(CmdPutPasswordPolicy, "put-password-policy", applyPutPasswordPolicy)
	register(CmdDeletePasswordPolicy, "delete-password-policy", applyDeletePasswordPolicy)
	auditActions[CmdPutPasswordPolicy] = "account.password_policy.update"
	auditActions[CmdDeletePasswordPolicy] = "account.password_policy.delete"
}

// PutPasswordPolicy replaces an account's policy (the server validated it).
type PutPasswordPolicy struct {
	Policy PasswordPolicy
}

func applyPutPasswordPolicy(tx *txn, env Env, cmd *PutPasswordPolicy) (any, error) {
	p := cmd.Policy
	p.AccountID = orDefaultAccount(tx, p.AccountID)
	return &p, insert(tx, tablePasswordPolicy, &p)
}

// DeletePasswordPolicy removes an account's policy; NotFound if none.
type DeletePasswordPolicy struct {
	AccountID string
}

func applyDeletePasswordPolicy(tx *txn, env Env, cmd *DeletePasswordPolicy) (any, error) {
	acct := orDefaultAccount(tx, cmd.AccountID)
	p := first[PasswordPolicy](tx, tablePasswordPolicy, "id", acct)
	if p == nil {
		return nil, errNoPasswordPolicy(acct)
	}
	return nil, tx.Delete(tablePasswordPolicy, p)
}

// recordPasswordHistory keeps the new hash of a userpass password set (the
// PutUserpassUser command, type 120) at the head of the user's history.
// Deleting the user (121) drops its history.
func recordPasswordHistory(tx *txn, ev *auditEnvelope) error {
	if ev.Type != 120 && ev.Type != 121 {
		return nil
	}
	var cmd struct {
		MountAccessor string
		Username      string
		PasswordHash  *string
	}
	if json.Unmarshal(ev.Command, &cmd) != nil {
		return nil
	}
	key := UserpassKey(cmd.MountAccessor, cmd.Username)
	if ev.Type == 121 {
		if cur := first[PasswordHistory](tx, tablePasswordHistory, "id", key); cur != nil {
			return tx.Delete(tablePasswordHistory, cur)
		}
		return nil
	}
	if cmd.PasswordHash == nil || *cmd.PasswordHash == "" {
		return nil
	}
	h := PasswordHistory{Key: key}
	if cur := first[PasswordHistory](tx, tablePasswordHistory, "id", key); cur != nil {
		h.Hashes = cur.Hashes
	}
	h.Hashes = append([]string{*cmd.PasswordHash}, h.Hashes...)
	h.SetAt = ev.Meta.Time
	if len(h.Hashes) > MaxPasswordHistory {
		h.Hashes = h.Hashes[:MaxPasswordHistory]
	}
	return insert(tx, tablePasswordHistory, &h)
}

func errNoPasswordPolicy(acct string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The Password Policy with domain name %s cannot be found.", acct)
}

// PasswordPolicy returns an account's policy ("" = default), nil if none.
func (s *State) PasswordPolicy(acct string) *PasswordPolicy {
	acct = orDefaultAccount(s.tx, acct)
	return first[PasswordPolicy](s.tx, tablePasswordPolicy, "id", acct)
}

// PasswordHistory returns a userpass user's last password hashes.
func (s *State) PasswordHistory(key string) []string {
	if h := first[PasswordHistory](s.tx, tablePasswordHistory, "id", key); h != nil {
		return h.Hashes
	}
	return nil
}

// PasswordSetAt is when a userpass user's password was last set (zero if
// unknown: set before the history existed).
func (s *State) PasswordSetAt(key string) time.Time {
	if h := first[PasswordHistory](s.tx, tablePasswordHistory, "id", key); h != nil {
		return h.SetAt
	}
	return time.Time{}
}
