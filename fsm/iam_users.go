package fsm

import (
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// IAM state (command types 200-399). Objects refer to each other by their
// immutable IDs (UserID, GroupID, PolicyID), never by name, so a rename
// touches one row; the only copy of a name outside its row is
// AccessKey.UserName, which UpdateUser keeps in step.
//
// Every invariant that depends on state (name uniqueness ignoring case,
// quotas, DeleteConflict) is decided in the apply functions below; the
// server only validates the shape of its input and puts times and generated
// IDs into the command.
const (
	CmdCreateUser    CommandType = 200
	CmdUpdateUser    CommandType = 201
	CmdDeleteUser    CommandType = 202
	CmdSetUserStatus CommandType = 203
	CmdTagUser       CommandType = 204
	CmdUntagUser     CommandType = 205
)

// Tag is an AWS resource tag.
type Tag struct {
	Key   string
	Value string
}

// IAMUser is an IAM user of an account. Its ARN is derived from the
// account, Path and UserName (server.UserArn), so it follows renames.
type IAMUser struct {
	AccountID  string
	UserID     string // AIDA + 17
	UserName   string
	Path       string
	CreateDate time.Time
	Tags       []Tag
	// Inactive is SeaweedFS's SetUserStatus: every key and session of the
	// user fails authentication while it is set; nothing is deleted.
	Inactive bool
}

const tableIAMUsers = "iam_users"

func init() {
	registerTable[IAMUser](&memdb.TableSchema{
		Name: tableIAMUsers,
		Indexes: map[string]*memdb.IndexSchema{
			"id":   idIndex("UserID"),
			"name": accountNameIndex("UserName"),
		},
	})
	register(CmdCreateUser, "create-user", applyCreateUser)
	register(CmdUpdateUser, "update-user", applyUpdateUser)
	register(CmdDeleteUser, "delete-user", applyDeleteUser)
	register(CmdSetUserStatus, "set-user-status", applySetUserStatus)
	register(CmdTagUser, "tag-user", applyTagUser)
	register(CmdUntagUser, "untag-user", applyUntagUser)
}

// accountNameIndex indexes (AccountID, lower-cased name): names are unique
// per account ignoring case, as in AWS, and lists come out sorted that way.
func accountNameIndex(field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "name", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
		&memdb.StringFieldIndex{Field: "AccountID"},
		&memdb.StringFieldIndex{Field: field, Lowercase: true},
	}}}
}

// Quotas the apply functions enforce. The server passes them in commands
// only where a limit may one day be configurable; these are AWS's.
const (
	MaxUsersPerAccount    = 5000
	MaxGroupsPerAccount   = 300
	MaxPoliciesPerAccount = 1500
	MaxTagsPerEntity      = 50
	MaxKeysPerUser        = 2
	MaxGroupsPerUser      = 10
	MaxAttachedPolicies   = 10
	MaxPolicyVersions     = 5
	MaxServiceAccounts    = 100
)

func noSuchUser(name string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The user with name %s cannot be found.", name)
}

func limitExceeded(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Limit, "LimitExceeded", format, args...)
}

func deleteConflict(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Conflict, "DeleteConflict", format, args...)
}

// CreateUser adds a user; the name must be free in the account.
type CreateUser struct {
	User IAMUser
}

func applyCreateUser(tx *txn, env Env, cmd *CreateUser) (any, error) {
	u := cmd.User
	if first[IAMUser](tx, tableIAMUsers, "name", u.AccountID, u.UserName) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "User with name %s already exists.", u.UserName)
	}
	if accountCount(tx, tableIAMUsers, u.AccountID) >= MaxUsersPerAccount {
		return nil, limitExceeded("Cannot exceed quota for UsersPerAccount: %d", MaxUsersPerAccount)
	}
	if err := insertCounted(tx, tableIAMUsers, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UpdateUser renames a user and/or changes its path (empty: unchanged).
// Name is the user's name as the caller knew it, for messages.
type UpdateUser struct {
	AccountID string
	UserID    string
	Name      string
	NewName   string
	NewPath   string
}

func applyUpdateUser(tx *txn, env Env, cmd *UpdateUser) (any, error) {
	u := userByID(tx, cmd.AccountID, cmd.UserID)
	if u == nil {
		return nil, noSuchUser(cmd.Name)
	}
	c := *u
	if cmd.NewName != "" {
		if other := first[IAMUser](tx, tableIAMUsers, "name", c.AccountID, cmd.NewName); other != nil && other.UserID != c.UserID {
			return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "User with name %s already exists.", cmd.NewName)
		}
		c.UserName = cmd.NewName
		for _, k := range userKeys(tx, c.AccountID, c.UserID) {
			kc := *k
			kc.UserName = c.UserName
			if err := insert(tx, tableAccessKeys, &kc); err != nil {
				return nil, err
			}
		}
	}
	if cmd.NewPath != "" {
		c.Path = cmd.NewPath
	}
	if err := insert(tx, tableIAMUsers, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteUser removes a user that has nothing left attached (AWS cascades
// nothing: DeleteConflict names what must go first).
type DeleteUser struct {
	AccountID string
	UserID    string
	Name      string
}

func applyDeleteUser(tx *txn, env Env, cmd *DeleteUser) (any, error) {
	u := userByID(tx, cmd.AccountID, cmd.UserID)
	if u == nil {
		return nil, noSuchUser(cmd.Name)
	}
	for _, k := range userKeys(tx, u.AccountID, u.UserID) {
		if k.ServiceAccountID == "" {
			return nil, deleteConflict("Cannot delete entity, must delete access keys first.")
		}
	}
	switch {
	case exists(tx, tableInlinePolicies, "owner", u.UserID):
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case exists(tx, tableAttachments, "entity", u.UserID):
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	case exists(tx, tableGroupMembers, "user", u.UserID):
		return nil, deleteConflict("Cannot delete entity, must remove user from all groups first.")
	case exists(tx, tableServiceAccounts, "parent", u.UserID):
		return nil, deleteConflict("Cannot delete entity, must delete service accounts first.")
	case exists(tx, tableMFADevices, "user", u.UserID):
		return nil, deleteConflict("Cannot delete entity, must delete MFA device first.")
	case exists(tx, tableLoginProfiles, "id", u.UserID):
		return nil, deleteConflict("Cannot delete entity, must delete login profile first.")
	}
	if err := dropLoginPasswordHistory(tx, u.UserID); err != nil {
		return nil, err
	}
	return nil, deleteCounted(tx, tableIAMUsers, u)
}

// SetUserStatus turns a user's credentials off or back on.
type SetUserStatus struct {
	AccountID string
	UserID    string
	Name      string
	Inactive  bool
}

func applySetUserStatus(tx *txn, env Env, cmd *SetUserStatus) (any, error) {
	return updateUser(tx, cmd.AccountID, cmd.UserID, cmd.Name, func(u *IAMUser) error {
		u.Inactive = cmd.Inactive
		return nil
	})
}

// TagUser merges tags into a user's: a key already present (in any case)
// takes the new value. More than MaxTagsPerEntity after merging fails.
type TagUser struct {
	AccountID string
	UserID    string
	Name      string
	Tags      []Tag
}

func applyTagUser(tx *txn, env Env, cmd *TagUser) (any, error) {
	return updateUser(tx, cmd.AccountID, cmd.UserID, cmd.Name, func(u *IAMUser) error {
		tags, err := mergeTags(u.Tags, cmd.Tags)
		u.Tags = tags
		return err
	})
}

// UntagUser removes tags by key, ignoring case; absent keys are ignored.
type UntagUser struct {
	AccountID string
	UserID    string
	Name      string
	Keys      []string
}

func applyUntagUser(tx *txn, env Env, cmd *UntagUser) (any, error) {
	return updateUser(tx, cmd.AccountID, cmd.UserID, cmd.Name, func(u *IAMUser) error {
		u.Tags = removeTags(u.Tags, cmd.Keys)
		return nil
	})
}

// updateUser applies change to a copy of the user and stores it.
func updateUser(tx *txn, acct, id, name string, change func(*IAMUser) error) (any, error) {
	u := userByID(tx, acct, id)
	if u == nil {
		return nil, noSuchUser(name)
	}
	c := *u
	if err := change(&c); err != nil {
		return nil, err
	}
	if err := insert(tx, tableIAMUsers, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func mergeTags(have, add []Tag) ([]Tag, error) {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i], replaced = t, true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > MaxTagsPerEntity {
		return nil, limitExceeded("The number of tags has reached the maximum limit.")
	}
	return out, nil
}

func removeTags(have []Tag, keys []string) []Tag {
	var out []Tag
	for _, t := range have {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

func userByID(tx *txn, acct, id string) *IAMUser {
	u := first[IAMUser](tx, tableIAMUsers, "id", id)
	if u == nil || u.AccountID != acct {
		return nil
	}
	return u
}

// count returns how many rows of table match index and args.
func count(tx *txn, table, index string, args ...any) int {
	it, err := tx.Get(table, index, args...)
	if err != nil {
		return 0
	}
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n++
	}
	return n
}

// IAMUser returns the user of the account with that name (any case), or nil.
func (s *State) IAMUser(acct, name string) *IAMUser {
	return first[IAMUser](s.tx, tableIAMUsers, "name", acct, name)
}

// IAMUserByID returns the user with that ID, or nil.
func (s *State) IAMUserByID(id string) *IAMUser {
	return first[IAMUser](s.tx, tableIAMUsers, "id", id)
}

// IAMUsers returns the account's users sorted by name, ignoring case.
func (s *State) IAMUsers(acct string) []*IAMUser {
	return all[IAMUser](s.tx, tableIAMUsers, "name_prefix", acct, "")
}
