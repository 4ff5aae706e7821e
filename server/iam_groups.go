package server

import (
	"context"
	"sort"

	"iamd/fsm"
)

// IAM groups (spec §4.5). Names and paths arrive checked against the AWS
// model by the wire layer; state-dependent rules (uniqueness, quotas,
// DeleteConflict) are decided in FSM Apply.

// groupResource returns the group of the account with that name (nil if
// none) and the ARN to authorize against: the group's own ARN, or the one
// a group of that name at path "/" would have, so that a denied caller
// cannot tell whether it exists.
func groupResource(st *fsm.State, acct, name string) (*fsm.IAMGroup, string) {
	if g := st.IAMGroup(acct, name); g != nil {
		return g, GroupArn(g)
	}
	return nil, iamArn(acct, "group", "/", name)
}

// userResource is groupResource for users.
func userResource(st *fsm.State, acct, name string) (*fsm.IAMUser, string) {
	if u := st.IAMUser(acct, name); u != nil {
		return u, UserArn(u)
	}
	return nil, iamArn(acct, "user", "/", name)
}

func noSuchGroupNamed(name string) error {
	return noSuchEntity("The group with name %s cannot be found.", name)
}

func noSuchUserNamed(name string) error {
	return noSuchEntity("The user with name %s cannot be found.", name)
}

// CreateIAMGroup creates a group at path ("" is "/").
func (n *Node) CreateIAMGroup(ctx context.Context, c *AWSCaller, name, path string) (*fsm.IAMGroup, error) {
	if path == "" {
		path = "/"
	}
	if err := n.AuthorizeIAM(c, "iam:CreateGroup", iamArn(c.AccountID, "group", path, name)); err != nil {
		return nil, err
	}
	return applyAs[*fsm.IAMGroup](ctx, n, fsm.CmdCreateGroup, &fsm.CreateGroup{Group: fsm.IAMGroup{
		AccountID: c.AccountID, GroupID: newIAMID("AGPA"), GroupName: name, Path: path, CreateDate: n.iamNow()}})
}

// GroupWithMembers is GetGroup's answer: the group and one page of its
// members, sorted by name ignoring case.
type GroupWithMembers struct {
	Group   *fsm.IAMGroup
	Members Page[*fsm.IAMUser]
}

// GetIAMGroup returns a group and a page of its members.
func (n *Node) GetIAMGroup(c *AWSCaller, name, marker string, maxItems int) (*GroupWithMembers, error) {
	st := n.fsm.State()
	g, arn := groupResource(st, c.AccountID, name)
	if err := n.AuthorizeIAM(c, "iam:GetGroup", arn); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, noSuchGroupNamed(name)
	}
	var members []*fsm.IAMUser
	for _, id := range st.GroupMemberIDs(g.GroupID) {
		if u := st.IAMUserByID(id); u != nil {
			members = append(members, u)
		}
	}
	sort.Slice(members, func(i, j int) bool { return lowerUserName(members[i]) < lowerUserName(members[j]) })
	page, err := paginate(members, lowerUserName, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return &GroupWithMembers{Group: g, Members: page}, nil
}

// ListIAMGroups lists the account's groups under pathPrefix.
func (n *Node) ListIAMGroups(c *AWSCaller, pathPrefix, marker string, maxItems int) (Page[*fsm.IAMGroup], error) {
	if err := n.AuthorizeIAM(c, "iam:ListGroups", "*"); err != nil {
		return Page[*fsm.IAMGroup]{}, err
	}
	groups := filterPath(n.fsm.State().IAMGroups(c.AccountID), groupPath, pathPrefix)
	return paginate(groups, lowerGroupName, marker, maxItems)
}

// UpdateIAMGroupRequest renames or moves a group; Disabled (SeaweedFS
// extension) switches its policies off or on. Empty strings and nil leave
// a field unchanged.
type UpdateIAMGroupRequest struct {
	GroupName string
	NewName   string
	NewPath   string
	Disabled  *bool
}

// UpdateIAMGroup applies an UpdateIAMGroupRequest.
func (n *Node) UpdateIAMGroup(ctx context.Context, c *AWSCaller, req UpdateIAMGroupRequest) error {
	st := n.fsm.State()
	g, arn := groupResource(st, c.AccountID, req.GroupName)
	if err := n.AuthorizeIAM(c, "iam:UpdateGroup", arn); err != nil {
		return err
	}
	if g == nil {
		return noSuchGroupNamed(req.GroupName)
	}
	_, err := n.apply(ctx, fsm.CmdUpdateGroup, &fsm.UpdateGroup{AccountID: c.AccountID, GroupID: g.GroupID,
		Name: req.GroupName, NewName: req.NewName, NewPath: req.NewPath, Disabled: req.Disabled})
	return err
}

// DeleteIAMGroup deletes a group without members or policies.
func (n *Node) DeleteIAMGroup(ctx context.Context, c *AWSCaller, name string) error {
	st := n.fsm.State()
	g, arn := groupResource(st, c.AccountID, name)
	if err := n.AuthorizeIAM(c, "iam:DeleteGroup", arn); err != nil {
		return err
	}
	if g == nil {
		return noSuchGroupNamed(name)
	}
	_, err := n.apply(ctx, fsm.CmdDeleteGroup, &fsm.DeleteGroup{AccountID: c.AccountID, GroupID: g.GroupID, Name: name})
	return err
}

// AddUserToIAMGroup makes a user a member of a group (again: no change).
func (n *Node) AddUserToIAMGroup(ctx context.Context, c *AWSCaller, groupName, userName string) error {
	return n.changeMembership(ctx, c, "iam:AddUserToGroup", fsm.CmdAddUserToGroup, groupName, userName)
}

// RemoveUserFromIAMGroup ends a membership; a non-member is NoSuchEntity.
func (n *Node) RemoveUserFromIAMGroup(ctx context.Context, c *AWSCaller, groupName, userName string) error {
	return n.changeMembership(ctx, c, "iam:RemoveUserFromGroup", fsm.CmdRemoveUserFromGroup, groupName, userName)
}

func (n *Node) changeMembership(ctx context.Context, c *AWSCaller, action string, t fsm.CommandType, groupName, userName string) error {
	st := n.fsm.State()
	g, arn := groupResource(st, c.AccountID, groupName)
	if err := n.AuthorizeIAM(c, action, arn); err != nil {
		return err
	}
	if g == nil {
		return noSuchGroupNamed(groupName)
	}
	u := st.IAMUser(c.AccountID, userName)
	if u == nil {
		return noSuchUserNamed(userName)
	}
	cmd := fsm.AddUserToGroup{AccountID: c.AccountID, GroupID: g.GroupID, GroupName: g.GroupName,
		UserID: u.UserID, UserName: u.UserName}
	var payload any = &cmd
	if t == fsm.CmdRemoveUserFromGroup {
		payload = (*fsm.RemoveUserFromGroup)(&cmd)
	}
	_, err := n.apply(ctx, t, payload)
	return err
}

// ListIAMGroupsForUser lists the groups a user belongs to.
func (n *Node) ListIAMGroupsForUser(c *AWSCaller, userName, marker string, maxItems int) (Page[*fsm.IAMGroup], error) {
	st := n.fsm.State()
	u, arn := userResource(st, c.AccountID, userName)
	if err := n.AuthorizeIAM(c, "iam:ListGroupsForUser", arn); err != nil {
		return Page[*fsm.IAMGroup]{}, err
	}
	if u == nil {
		return Page[*fsm.IAMGroup]{}, noSuchUserNamed(userName)
	}
	groups := userGroups(st, u)
	return paginate(groups, lowerGroupName, marker, maxItems)
}

// userGroups returns a user's groups sorted by name ignoring case.
func userGroups(st *fsm.State, u *fsm.IAMUser) []*fsm.IAMGroup {
	var groups []*fsm.IAMGroup
	for _, id := range st.UserGroupIDs(u.UserID) {
		if g := st.IAMGroupByID(id); g != nil {
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return lowerGroupName(groups[i]) < lowerGroupName(groups[j]) })
	return groups
}
