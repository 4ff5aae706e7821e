package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// User lockout for password logins (Vault docs concepts/user-lockout):
// failed logins are counted per mount and user name; at the threshold the
// user is locked for a while. Counting happens here, in Apply, so every
// node and every concurrent login sees the same count.

// LoginLockout is the failure record of one user on one mount.
type LoginLockout struct {
	Key           string // MountAccessor + "/" + Username
	MountAccessor string
	Username      string
	Failures      int
	LastFailure   time.Time
	LockedUntil   time.Time // zero: not locked
}

// Locked reports whether the record locks its user at now.
func (l *LoginLockout) Locked(now time.Time) bool {
	return l != nil && now.Before(l.LockedUntil)
}

// LockoutPolicy are a mount's effective lockout settings, resolved by the
// server from the mount config and the defaults.
type LockoutPolicy struct {
	Threshold    int
	Duration     time.Duration
	CounterReset time.Duration
	Disabled     bool
}

const tableLoginLockouts = "login_lockouts"

const (
	CmdRecordLoginFailure CommandType = 122
	CmdUnlockUser         CommandType = 123
)

func init() {
	registerTable[LoginLockout](&memdb.TableSchema{
		Name: tableLoginLockouts,
		Indexes: map[string]*memdb.IndexSchema{
			"id":       idIndex("Key"),
			"accessor": plainIndex("accessor", "MountAccessor"),
		},
	})
	register(CmdRecordLoginFailure, "record-login-failure", applyRecordLoginFailure)
	register(CmdUnlockUser, "unlock-user", applyUnlockUser)
}

// RecordLoginFailure counts one failed login of an existing user.
type RecordLoginFailure struct {
	MountAccessor string
	Username      string
	Policy        LockoutPolicy
	Time          time.Time
}

func applyRecordLoginFailure(tx *txn, env Env, cmd *RecordLoginFailure) (any, error) {
	key := UserpassKey(cmd.MountAccessor, cmd.Username)
	// Only existing users are counted, so guessing names cannot grow the
	// table without bound.
	if cmd.Policy.Disabled || first[UserpassUser](tx, tableUserpassUsers, "id", key) == nil {
		return &LoginLockout{}, nil
	}
	l := LoginLockout{Key: key, MountAccessor: cmd.MountAccessor, Username: cmd.Username}
	if cur := first[LoginLockout](tx, tableLoginLockouts, "id", key); cur != nil {
		l = *cur
	}
	if l.Locked(cmd.Time) {
		return &l, nil // failures while locked neither count nor extend it
	}
	if !l.LockedUntil.IsZero() || !cmd.Time.Before(l.LastFailure.Add(cmd.Policy.CounterReset)) {
		l.Failures, l.LockedUntil = 0, time.Time{}
	}
	l.Failures++
	l.LastFailure = cmd.Time
	if l.Failures >= cmd.Policy.Threshold {
		l.LockedUntil = cmd.Time.Add(cmd.Policy.Duration)
	}
	if err := insert(tx, tableLoginLockouts, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// clearLoginFailures forgets a user's failures after a good login.
func clearLoginFailures(tx *txn, key string) error {
	if l := first[LoginLockout](tx, tableLoginLockouts, "id", key); l != nil {
		return tx.Delete(tableLoginLockouts, l)
	}
	return nil
}

// UnlockUser removes a user's lockout (sys/locked-users/.../unlock).
type UnlockUser struct {
	MountAccessor string
	Username      string
}

func applyUnlockUser(tx *txn, env Env, cmd *UnlockUser) (any, error) {
	return nil, clearLoginFailures(tx, UserpassKey(cmd.MountAccessor, cmd.Username))
}

// LoginLockout returns a user's failure record, or nil.
func (s *State) LoginLockout(accessor, username string) *LoginLockout {
	return first[LoginLockout](s.tx, tableLoginLockouts, "id", UserpassKey(accessor, username))
}

// LoginLockouts returns every failure record in key order.
func (s *State) LoginLockouts() []*LoginLockout {
	return all[LoginLockout](s.tx, tableLoginLockouts, "id")
}
