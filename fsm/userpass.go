package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// Userpass users (spec/vault.md §6.1). A user lives on one auth mount and
// is keyed by the mount's accessor and the lower-cased user name. The
// password arrives already hashed: hashing is slow and salted, so it is
// done by the proposer, never in Apply.

// UserpassUser is one user of a userpass mount.
type UserpassUser struct {
	Key           string // MountAccessor + "/" + Username
	MountAccessor string
	Username      string
	PasswordHash  string // argon2id (PHC string) or bcrypt
	Token         TokenParams
}

// TokenParams are the token_* fields an auth method role or user carries.
type TokenParams struct {
	Policies        []string
	TTL             time.Duration
	MaxTTL          time.Duration
	ExplicitMaxTTL  time.Duration
	Period          time.Duration
	BoundCIDRs      []string
	NoDefaultPolicy bool
	NumUses         int
	Type            string
}

// UserpassKey is the table key of a user.
func UserpassKey(accessor, username string) string { return accessor + "/" + username }

const tableUserpassUsers = "userpass_users"

const (
	CmdPutUserpassUser    CommandType = 120
	CmdDeleteUserpassUser CommandType = 121
)

func init() {
	registerTable[UserpassUser](&memdb.TableSchema{
		Name: tableUserpassUsers,
		Indexes: map[string]*memdb.IndexSchema{
			"id":       idIndex("Key"),
			"accessor": plainIndex("accessor", "MountAccessor"),
		},
	})
	register(CmdPutUserpassUser, "put-userpass-user", applyPutUserpassUser)
	register(CmdDeleteUserpassUser, "delete-userpass-user", applyDeleteUserpassUser)
	mountCleanups = append(mountCleanups, deleteMountUsers)
}

func deleteMountUsers(tx *txn, m *AuthMount) error {
	for _, u := range all[UserpassUser](tx, tableUserpassUsers, "accessor", m.Accessor) {
		if err := tx.Delete(tableUserpassUsers, u); err != nil {
			return err
		}
	}
	for _, l := range all[LoginLockout](tx, tableLoginLockouts, "accessor", m.Accessor) {
		if err := tx.Delete(tableLoginLockouts, l); err != nil {
			return err
		}
	}
	return nil
}

// PutUserpassUser creates or updates a user. Nil fields keep their value;
// a new user needs a password.
type PutUserpassUser struct {
	MountAccessor string
	Username      string
	PasswordHash  *string
	Token         *TokenParams
	Policies      *[]string // users/:name/policies changes only these
	MustExist     bool      // password and policies paths never create
}

func applyPutUserpassUser(tx *txn, env Env, cmd *PutUserpassUser) (any, error) {
	m := first[AuthMount](tx, tableAuthMounts, "accessor", cmd.MountAccessor)
	if m == nil || m.Type != "userpass" {
		return nil, iamerr.New(iamerr.NotFound, "no userpass mount with accessor %q", cmd.MountAccessor)
	}
	key := UserpassKey(cmd.MountAccessor, cmd.Username)
	var u UserpassUser
	if cur := first[UserpassUser](tx, tableUserpassUsers, "id", key); cur != nil {
		u = *cur
	} else {
		if cmd.MustExist {
			return nil, iamerr.New(iamerr.Invalid, "username does not exist")
		}
		if cmd.PasswordHash == nil || *cmd.PasswordHash == "" {
			return nil, iamerr.New(iamerr.Invalid, "missing password")
		}
		u = UserpassUser{Key: key, MountAccessor: cmd.MountAccessor, Username: cmd.Username}
	}
	if cmd.PasswordHash != nil {
		u.PasswordHash = *cmd.PasswordHash
	}
	if cmd.Token != nil {
		u.Token = *cmd.Token
	}
	if cmd.Policies != nil {
		u.Token.Policies = *cmd.Policies
	}
	if err := insert(tx, tableUserpassUsers, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// DeleteUserpassUser deletes a user and its lockout record; a missing user
// is not an error.
type DeleteUserpassUser struct {
	MountAccessor string
	Username      string
}

func applyDeleteUserpassUser(tx *txn, env Env, cmd *DeleteUserpassUser) (any, error) {
	key := UserpassKey(cmd.MountAccessor, cmd.Username)
	if l := first[LoginLockout](tx, tableLoginLockouts, "id", key); l != nil {
		if err := tx.Delete(tableLoginLockouts, l); err != nil {
			return nil, err
		}
	}
	u := first[UserpassUser](tx, tableUserpassUsers, "id", key)
	if u == nil {
		return nil, nil
	}
	return nil, tx.Delete(tableUserpassUsers, u)
}

// UserpassUser returns a user of the mount with the given accessor, or nil.
func (s *State) UserpassUser(accessor, username string) *UserpassUser {
	return first[UserpassUser](s.tx, tableUserpassUsers, "id", UserpassKey(accessor, username))
}

// UserpassUsers returns the users of one mount.
func (s *State) UserpassUsers(accessor string) []*UserpassUser {
	return all[UserpassUser](s.tx, tableUserpassUsers, "accessor", accessor)
}
