package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

const (
	CmdCreateGroup         CommandType = 220
	CmdUpdateGroup         CommandType = 221
	CmdDeleteGroup         CommandType = 222
	CmdAddUserToGroup      CommandType = 223
	CmdRemoveUserFromGroup CommandType = 224
)

// IAMGroup is an IAM group. A Disabled group (SeaweedFS extension) keeps
// its members, but its policies count for nothing in evaluation.
type IAMGroup struct {
	AccountID  string
	GroupID    string // AGPA + 17
	GroupName  string
	Path       string
	CreateDate time.Time
	Disabled   bool
}

// GroupMember records that a user belongs to a group.
type GroupMember struct {
	ID        string // GroupID + "/" + UserID
	AccountID string
	GroupID   string
	UserID    string
}

const (
	tableIAMGroups    = "iam_groups"
	tableGroupMembers = "iam_group_members"
)

func init() {
	registerTable[IAMGroup](&memdb.TableSchema{
		Name: tableIAMGroups,
		Indexes: map[string]*memdb.IndexSchema{
			"id":   idIndex("GroupID"),
			"name": accountNameIndex("GroupName"),
		},
	})
	registerTable[GroupMember](&memdb.TableSchema{
		Name: tableGroupMembers,
		Indexes: map[string]*memdb.IndexSchema{
			"id":    idIndex("ID"),
			"group": plainIndex("group", "GroupID"),
			"user":  plainIndex("user", "UserID"),
		},
	})
	register(CmdCreateGroup, "create-group", applyCreateGroup)
	register(CmdUpdateGroup, "update-group", applyUpdateGroup)
	register(CmdDeleteGroup, "delete-group", applyDeleteGroup)
	register(CmdAddUserToGroup, "add-user-to-group", applyAddUserToGroup)
	register(CmdRemoveUserFromGroup, "remove-user-from-group", applyRemoveUserFromGroup)
}

func noSuchGroup(name string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The group with name %s cannot be found.", name)
}

func groupAlreadyExists(name string) error {
	return iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "Group with name %s already exists.", name)
}

// CreateGroup adds a group; the name must be free in the account.
type CreateGroup struct {
	Group IAMGroup
}

func applyCreateGroup(tx *txn, env Env, cmd *CreateGroup) (any, error) {
	g := cmd.Group
	if first[IAMGroup](tx, tableIAMGroups, "name", g.AccountID, g.GroupName) != nil {
		return nil, groupAlreadyExists(g.GroupName)
	}
	if accountCount(tx, tableIAMGroups, g.AccountID) >= MaxGroupsPerAccount {
		return nil, limitExceeded("Cannot exceed quota for GroupsPerAccount: %d", MaxGroupsPerAccount)
	}
	if err := insertCounted(tx, tableIAMGroups, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// UpdateGroup renames, moves, or (SeaweedFS extension) disables a group.
// Empty NewName/NewPath and nil Disabled leave those unchanged.
type UpdateGroup struct {
	AccountID string
	GroupID   string
	Name      string
	NewName   string
	NewPath   string
	Disabled  *bool
}

func applyUpdateGroup(tx *txn, env Env, cmd *UpdateGroup) (any, error) {
	g := groupByID(tx, cmd.AccountID, cmd.GroupID)
	if g == nil {
		return nil, noSuchGroup(cmd.Name)
	}
	c := *g
	if cmd.NewName != "" {
		if other := first[IAMGroup](tx, tableIAMGroups, "name", c.AccountID, cmd.NewName); other != nil && other.GroupID != c.GroupID {
			return nil, groupAlreadyExists(cmd.NewName)
		}
		c.GroupName = cmd.NewName
	}
	if cmd.NewPath != "" {
		c.Path = cmd.NewPath
	}
	if cmd.Disabled != nil {
		c.Disabled = *cmd.Disabled
	}
	if err := insert(tx, tableIAMGroups, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteGroup removes an empty group without policies.
type DeleteGroup struct {
	AccountID string
	GroupID   string
	Name      string
}

func applyDeleteGroup(tx *txn, env Env, cmd *DeleteGroup) (any, error) {
	g := groupByID(tx, cmd.AccountID, cmd.GroupID)
	if g == nil {
		return nil, noSuchGroup(cmd.Name)
	}
	switch {
	case exists(tx, tableGroupMembers, "group", g.GroupID):
		return nil, deleteConflict("Cannot delete entity, must remove users from group first.")
	case exists(tx, tableInlinePolicies, "owner", g.GroupID):
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case exists(tx, tableAttachments, "entity", g.GroupID):
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	return nil, deleteCounted(tx, tableIAMGroups, g)
}

// AddUserToGroup makes a user a member; adding a member again succeeds.
type AddUserToGroup struct {
	AccountID string
	GroupID   string
	GroupName string
	UserID    string
	UserName  string
}

func applyAddUserToGroup(tx *txn, env Env, cmd *AddUserToGroup) (any, error) {
	if groupByID(tx, cmd.AccountID, cmd.GroupID) == nil {
		return nil, noSuchGroup(cmd.GroupName)
	}
	if userByID(tx, cmd.AccountID, cmd.UserID) == nil {
		return nil, noSuchUser(cmd.UserName)
	}
	id := cmd.GroupID + "/" + cmd.UserID
	if first[GroupMember](tx, tableGroupMembers, "id", id) != nil {
		return nil, nil
	}
	if count(tx, tableGroupMembers, "user", cmd.UserID) >= MaxGroupsPerUser {
		return nil, limitExceeded("Cannot exceed quota for GroupsPerUser: %d", MaxGroupsPerUser)
	}
	return nil, insert(tx, tableGroupMembers, &GroupMember{ID: id, AccountID: cmd.AccountID, GroupID: cmd.GroupID, UserID: cmd.UserID})
}

// RemoveUserFromGroup ends a membership; a non-member is NoSuchEntity.
type RemoveUserFromGroup AddUserToGroup

func applyRemoveUserFromGroup(tx *txn, env Env, cmd *RemoveUserFromGroup) (any, error) {
	if groupByID(tx, cmd.AccountID, cmd.GroupID) == nil {
		return nil, noSuchGroup(cmd.GroupName)
	}
	if userByID(tx, cmd.AccountID, cmd.UserID) == nil {
		return nil, noSuchUser(cmd.UserName)
	}
	m := first[GroupMember](tx, tableGroupMembers, "id", cmd.GroupID+"/"+cmd.UserID)
	if m == nil {
		return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "User %s is not in group %s.", cmd.UserName, cmd.GroupName)
	}
	return nil, tx.Delete(tableGroupMembers, m)
}

func groupByID(tx *txn, acct, id string) *IAMGroup {
	g := first[IAMGroup](tx, tableIAMGroups, "id", id)
	if g == nil || g.AccountID != acct {
		return nil
	}
	return g
}

// IAMGroup returns the account's group with that name (any case), or nil.
func (s *State) IAMGroup(acct, name string) *IAMGroup {
	return first[IAMGroup](s.tx, tableIAMGroups, "name", acct, name)
}

// IAMGroupByID returns the group with that ID, or nil.
func (s *State) IAMGroupByID(id string) *IAMGroup {
	return first[IAMGroup](s.tx, tableIAMGroups, "id", id)
}

// IAMGroups returns the account's groups sorted by name, ignoring case.
func (s *State) IAMGroups(acct string) []*IAMGroup {
	return all[IAMGroup](s.tx, tableIAMGroups, "name_prefix", acct, "")
}

// GroupMemberIDs returns the user IDs of a group's members.
func (s *State) GroupMemberIDs(groupID string) []string {
	var out []string
	for _, m := range all[GroupMember](s.tx, tableGroupMembers, "group", groupID) {
		out = append(out, m.UserID)
	}
	return out
}

// UserGroupIDs returns the IDs of the groups a user belongs to.
func (s *State) UserGroupIDs(userID string) []string {
	var out []string
	for _, m := range all[GroupMember](s.tx, tableGroupMembers, "user", userID) {
		out = append(out, m.GroupID)
	}
	return out
}
