package fsm

import (
	"time"

	"iamd/iamerr"
)

// IAM login profiles (console passwords; spec §4.8). The server hashes the
// password (argon2id) and checks it against the account password policy;
// Apply decides existence and keeps the hash history that reuse
// prevention reads (the password_history table, key LoginProfileKey).
const (
	CmdCreateLoginProfile CommandType = 260
	CmdUpdateLoginProfile CommandType = 261
	CmdDeleteLoginProfile CommandType = 262
	CmdChangePassword     CommandType = 263
)

// LoginProfile is an IAM user's password. One per user.
type LoginProfile struct {
	AccountID             string
	UserID                string
	PasswordHash          string
	CreateDate            time.Time
	PasswordResetRequired bool
}

const tableLoginProfiles = "iam_login_profiles"

func init() {
	registerKeyedTable[LoginProfile](tableLoginProfiles, "UserID")
	register(CmdCreateLoginProfile, "create-login-profile", applyCreateLoginProfile)
	register(CmdUpdateLoginProfile, "update-login-profile", applyUpdateLoginProfile)
	register(CmdDeleteLoginProfile, "delete-login-profile", applyDeleteLoginProfile)
	register(CmdChangePassword, "change-password", applyChangePassword)
	auditActions[CmdCreateLoginProfile] = "iam.login_profile.create"
	auditActions[CmdUpdateLoginProfile] = "iam.login_profile.update"
	auditActions[CmdDeleteLoginProfile] = "iam.login_profile.delete"
	auditActions[CmdChangePassword] = "iam.password.change"
}

// LoginProfileKey is an IAM user's key in the password history table
// (userpass keys are "accessor/username"; this prefix cannot be an accessor).
func LoginProfileKey(userID string) string { return "iam-user:" + userID }

func noSuchLoginProfile(name string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "Login Profile for User %s cannot be found.", name)
}

// CreateLoginProfile gives a user a password; EntityAlreadyExists if it has one.
type CreateLoginProfile struct {
	UserName string // for messages and the audit target
	Profile  LoginProfile
}

func applyCreateLoginProfile(tx *txn, env Env, cmd *CreateLoginProfile) (any, error) {
	p := cmd.Profile
	if userByID(tx, p.AccountID, p.UserID) == nil {
		return nil, noSuchUser(cmd.UserName)
	}
	if first[LoginProfile](tx, tableLoginProfiles, "id", p.UserID) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "Login Profile for user %s already exists.", cmd.UserName)
	}
	if err := insert(tx, tableLoginProfiles, &p); err != nil {
		return nil, err
	}
	return &p, pushLoginPasswordHistory(tx, p.UserID, p.PasswordHash, p.CreateDate)
}

// UpdateLoginProfile changes the password (empty hash: unchanged) and/or
// the reset flag (nil: unchanged).
type UpdateLoginProfile struct {
	AccountID             string
	UserID                string
	UserName              string
	PasswordHash          string
	PasswordResetRequired *bool
	Time                  time.Time
}

func applyUpdateLoginProfile(tx *txn, env Env, cmd *UpdateLoginProfile) (any, error) {
	cur := loginProfileOf(tx, cmd.AccountID, cmd.UserID)
	if cur == nil {
		return nil, noSuchLoginProfile(cmd.UserName)
	}
	p := *cur
	if cmd.PasswordResetRequired != nil {
		p.PasswordResetRequired = *cmd.PasswordResetRequired
	}
	if cmd.PasswordHash != "" {
		p.PasswordHash = cmd.PasswordHash
		if err := pushLoginPasswordHistory(tx, p.UserID, p.PasswordHash, cmd.Time); err != nil {
			return nil, err
		}
	}
	return &p, insert(tx, tableLoginProfiles, &p)
}

// ChangePassword is a user's own change. OldHash is the hash the server
// verified the old password against: if the password changed since, the
// change is refused rather than silently overwriting the newer one.
type ChangePassword struct {
	AccountID    string
	UserID       string
	UserName     string
	OldHash      string
	PasswordHash string
	Time         time.Time
}

func applyChangePassword(tx *txn, env Env, cmd *ChangePassword) (any, error) {
	cur := loginProfileOf(tx, cmd.AccountID, cmd.UserID)
	if cur == nil {
		return nil, noSuchLoginProfile(cmd.UserName)
	}
	if cur.PasswordHash != cmd.OldHash {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityTemporarilyUnmodifiable", "The password of user %s was changed concurrently; retry.", cmd.UserName)
	}
	p := *cur
	p.PasswordHash = cmd.PasswordHash
	p.PasswordResetRequired = false
	if err := insert(tx, tableLoginProfiles, &p); err != nil {
		return nil, err
	}
	return &p, pushLoginPasswordHistory(tx, p.UserID, p.PasswordHash, cmd.Time)
}

// DeleteLoginProfile removes a user's password. Its history stays (reuse
// prevention survives a delete and re-create) until the user is deleted.
type DeleteLoginProfile struct {
	AccountID string
	UserID    string
	UserName  string
}

func applyDeleteLoginProfile(tx *txn, env Env, cmd *DeleteLoginProfile) (any, error) {
	cur := loginProfileOf(tx, cmd.AccountID, cmd.UserID)
	if cur == nil {
		return nil, noSuchLoginProfile(cmd.UserName)
	}
	return nil, tx.Delete(tableLoginProfiles, cur)
}

func loginProfileOf(tx *txn, acct, userID string) *LoginProfile {
	p := first[LoginProfile](tx, tableLoginProfiles, "id", userID)
	if p == nil || p.AccountID != acct {
		return nil
	}
	return p
}

// pushLoginPasswordHistory puts hash at the head of the user's history.
func pushLoginPasswordHistory(tx *txn, userID, hash string, at time.Time) error {
	key := LoginProfileKey(userID)
	h := PasswordHistory{Key: key, SetAt: at}
	if cur := first[PasswordHistory](tx, tablePasswordHistory, "id", key); cur != nil {
		h.Hashes = cur.Hashes
	}
	h.Hashes = append([]string{hash}, h.Hashes...)
	if len(h.Hashes) > MaxPasswordHistory {
		h.Hashes = h.Hashes[:MaxPasswordHistory]
	}
	return insert(tx, tablePasswordHistory, &h)
}

// dropLoginPasswordHistory forgets a deleted user's password history.
func dropLoginPasswordHistory(tx *txn, userID string) error {
	if cur := first[PasswordHistory](tx, tablePasswordHistory, "id", LoginProfileKey(userID)); cur != nil {
		return tx.Delete(tablePasswordHistory, cur)
	}
	return nil
}

// LoginProfile returns a user's login profile, nil if none.
func (s *State) LoginProfile(userID string) *LoginProfile {
	return first[LoginProfile](s.tx, tableLoginProfiles, "id", userID)
}
