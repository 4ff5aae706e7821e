package fsm

import (
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// IAM roles (commands 400-409, spec/aws-iam.md §5.2). A role's inline and
// attached policies live in the same tables as users' and groups'
// (OwnerType/EntityType EntityRole). Sessions of a role are not stored:
// they are sealed tokens (server/sts_token.go) that name the RoleID, so a
// deleted role, or a role re-created under the same name, ends them.
const (
	CmdCreateRole             CommandType = 400
	CmdUpdateRole             CommandType = 401
	CmdUpdateAssumeRolePolicy CommandType = 402
	CmdDeleteRole             CommandType = 403
	CmdTagRole                CommandType = 404
	CmdUntagRole              CommandType = 405
)

// MaxRolesPerAccount is AWS's default role quota.
const MaxRolesPerAccount = 1000

// IAMRole is a role of an account. Revision is the Raft index of the last
// change of its trust policy, so nodes can cache the compiled document.
type IAMRole struct {
	AccountID          string
	RoleID             string // AROA + 17
	RoleName           string
	Path               string
	AssumeRolePolicy   string
	Description        string
	MaxSessionDuration int // seconds, 3600-43200
	CreateDate         time.Time
	Tags               []Tag
	Revision           uint64
	// TrustPrincipals maps each user or role ARN AssumeRolePolicy names
	// to the unique ID it had when the policy was written: only that
	// principal is trusted, not a later one of the same name.
	TrustPrincipals StringMap `json:",omitempty"`
}

const tableIAMRoles = "iam_roles"

func init() {
	registerTable[IAMRole](&memdb.TableSchema{
		Name: tableIAMRoles,
		Indexes: map[string]*memdb.IndexSchema{
			"id":   idIndex("RoleID"),
			"name": accountNameIndex("RoleName"),
		},
	})
	register(CmdCreateRole, "create-role", applyCreateRole)
	register(CmdUpdateRole, "update-role", applyUpdateRole)
	register(CmdUpdateAssumeRolePolicy, "update-assume-role-policy", applyUpdateAssumeRolePolicy)
	register(CmdDeleteRole, "delete-role", applyDeleteRole)
	register(CmdTagRole, "tag-role", applyTagRole)
	register(CmdUntagRole, "untag-role", applyUntagRole)
}

// NoSuchRole is the error for a role name that is not there.
func NoSuchRole(name string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

// CreateRole adds a role; the name must be free in the account.
type CreateRole struct {
	Role IAMRole
}

func applyCreateRole(tx *txn, env Env, cmd *CreateRole) (any, error) {
	r := cmd.Role
	if first[IAMRole](tx, tableIAMRoles, "name", r.AccountID, r.RoleName) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "Role with name %s already exists.", r.RoleName)
	}
	if accountCount(tx, tableIAMRoles, r.AccountID) >= MaxRolesPerAccount {
		return nil, limitExceeded("Cannot exceed quota for RolesPerAccount: %d", MaxRolesPerAccount)
	}
	if err := checkTrustPrincipals(tx, r.TrustPrincipals); err != nil {
		return nil, err
	}
	r.Revision = env.Index
	if err := insertCounted(tx, tableIAMRoles, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// UpdateRole changes a role's description and/or maximum session
// duration; nil fields are unchanged.
type UpdateRole struct {
	AccountID          string
	RoleID             string
	Name               string
	Description        *string
	MaxSessionDuration int // 0: unchanged
}

func applyUpdateRole(tx *txn, env Env, cmd *UpdateRole) (any, error) {
	return updateRole(tx, cmd.AccountID, cmd.RoleID, cmd.Name, func(r *IAMRole) error {
		if cmd.Description != nil {
			r.Description = *cmd.Description
		}
		if cmd.MaxSessionDuration != 0 {
			r.MaxSessionDuration = cmd.MaxSessionDuration
		}
		return nil
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy (validated by the
// server, which owns the policy language).
type UpdateAssumeRolePolicy struct {
	AccountID       string
	RoleID          string
	Name            string
	Document        string
	TrustPrincipals StringMap `json:",omitempty"`
}

func applyUpdateAssumeRolePolicy(tx *txn, env Env, cmd *UpdateAssumeRolePolicy) (any, error) {
	if err := checkTrustPrincipals(tx, cmd.TrustPrincipals); err != nil {
		return nil, err
	}
	return updateRole(tx, cmd.AccountID, cmd.RoleID, cmd.Name, func(r *IAMRole) error {
		r.AssumeRolePolicy, r.TrustPrincipals, r.Revision = cmd.Document, cmd.TrustPrincipals, env.Index
		return nil
	})
}

// checkTrustPrincipals refuses a trust policy whose named users and roles
// (ARN -> unique ID, resolved by the proposer) no longer all exist: one
// deleted since would otherwise be trusted again when its name is reused.
func checkTrustPrincipals(tx *txn, ids StringMap) error {
	arns := make([]string, 0, len(ids))
	for arn := range ids {
		arns = append(arns, arn)
	}
	sort.Strings(arns) // the same message on every node
	for _, arn := range arns {
		acct := ""
		if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
			acct = parts[4]
		}
		if userByID(tx, acct, ids[arn]) == nil && roleByID(tx, acct, ids[arn]) == nil {
			return iamerr.WithCode(iamerr.Invalid, "MalformedPolicyDocument", `Invalid principal in policy: "AWS":"%s"`, arn)
		}
	}
	return nil
}

// DeleteRole removes a role without policies (AWS cascades nothing).
type DeleteRole struct {
	AccountID string
	RoleID    string
	Name      string
}

func applyDeleteRole(tx *txn, env Env, cmd *DeleteRole) (any, error) {
	r := roleByID(tx, cmd.AccountID, cmd.RoleID)
	if r == nil {
		return nil, NoSuchRole(cmd.Name)
	}
	switch {
	case exists(tx, tableInlinePolicies, "owner", r.RoleID):
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case exists(tx, tableAttachments, "entity", r.RoleID):
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if rv := first[SessionRevocation](tx, tableSessionRevocations, "id", r.RoleID); rv != nil {
		if err := tx.Delete(tableSessionRevocations, rv); err != nil {
			return nil, err
		}
	}
	return nil, deleteCounted(tx, tableIAMRoles, r)
}

// TagRole merges tags into a role's, as TagUser does.
type TagRole struct {
	AccountID string
	RoleID    string
	Name      string
	Tags      []Tag
}

func applyTagRole(tx *txn, env Env, cmd *TagRole) (any, error) {
	return updateRole(tx, cmd.AccountID, cmd.RoleID, cmd.Name, func(r *IAMRole) error {
		tags, err := mergeTags(r.Tags, cmd.Tags)
		r.Tags = tags
		return err
	})
}

// UntagRole removes tags by key, ignoring case.
type UntagRole struct {
	AccountID string
	RoleID    string
	Name      string
	Keys      []string
}

func applyUntagRole(tx *txn, env Env, cmd *UntagRole) (any, error) {
	return updateRole(tx, cmd.AccountID, cmd.RoleID, cmd.Name, func(r *IAMRole) error {
		r.Tags = removeTags(r.Tags, cmd.Keys)
		return nil
	})
}

func updateRole(tx *txn, acct, id, name string, change func(*IAMRole) error) (any, error) {
	r := roleByID(tx, acct, id)
	if r == nil {
		return nil, NoSuchRole(name)
	}
	c := *r
	if err := change(&c); err != nil {
		return nil, err
	}
	if err := insert(tx, tableIAMRoles, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func roleByID(tx *txn, acct, id string) *IAMRole {
	r := first[IAMRole](tx, tableIAMRoles, "id", id)
	if r == nil || r.AccountID != acct {
		return nil
	}
	return r
}

// IAMRole returns the account's role with that name (any case), or nil.
func (s *State) IAMRole(acct, name string) *IAMRole {
	return first[IAMRole](s.tx, tableIAMRoles, "name", acct, name)
}

// IAMRoleByID returns the role with that ID, or nil.
func (s *State) IAMRoleByID(id string) *IAMRole {
	return first[IAMRole](s.tx, tableIAMRoles, "id", id)
}

// IAMRoles returns the account's roles sorted by name, ignoring case.
func (s *State) IAMRoles(acct string) []*IAMRole {
	return all[IAMRole](s.tx, tableIAMRoles, "name_prefix", acct, "")
}
