package server

import (
	"context"
	"sort"
	"strings"

	"iamd/fsm"
	"iamd/iamerr"
)

// IAM users (spec §4.1). The wire layer has checked the model constraints
// (names, paths, tag shapes); these operations authorize, then read local
// state or propose one command. Authorization comes before any existence
// check: a missing user's resource is the ARN it would have at path "/".

// targetUser authorizes action on the user named name and returns it;
// NoSuchEntity when it does not exist (after authorization).
func (n *Node) targetUser(c *AWSCaller, action, name string) (*fsm.IAMUser, error) {
	u := n.State().IAMUser(c.AccountID, name)
	var arn string
	if u != nil {
		arn = UserArn(u)
	} else {
		arn = iamArn(c.AccountID, "user", "/", name)
	}
	if err := n.AuthorizeIAM(c, action, arn); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errNoSuchUser(name)
	}
	return u, nil
}

// callerOrNamed resolves an optional UserName (spec §8.3): absent means
// the caller, whose user is returned (a service account's parent); for the
// account root it returns a user with an empty name, which UserArn turns
// into the root ARN and whose keys are the root's.
func (n *Node) callerOrNamed(c *AWSCaller, action, name string) (*fsm.IAMUser, error) {
	if name != "" {
		return n.targetUser(c, action, name)
	}
	switch c.Type {
	case PrincipalRoot:
		root := &fsm.IAMUser{AccountID: c.AccountID, UserID: c.AccountID}
		if a := n.State().Account(c.AccountID); a != nil {
			root.CreateDate = a.CreatedAt.UTC().Truncate(1e9)
		}
		return root, n.AuthorizeIAM(c, action, RootArn(c.AccountID))
	case PrincipalUser, PrincipalServiceAccount:
		u := n.State().IAMUserByID(c.User.UserID)
		if u == nil {
			return nil, errNoSuchUser(c.User.UserName)
		}
		if err := n.AuthorizeIAM(c, action, UserArn(u)); err != nil {
			return nil, err
		}
		return u, nil
	}
	return nil, validationError("Must specify userName when calling with non-User credentials")
}

// CreateUserRequest is CreateUser's input.
type CreateUserRequest struct {
	Name, Path          string
	Tags                []fsm.Tag
	PermissionsBoundary string
}

// CreateIAMUser creates a user in the caller's account.
func (n *Node) CreateIAMUser(ctx context.Context, c *AWSCaller, req CreateUserRequest) (*fsm.IAMUser, error) {
	if req.Path == "" {
		req.Path = "/"
	}
	if err := n.AuthorizeIAM(c, "iam:CreateUser", iamArn(c.AccountID, "user", req.Path, req.Name)); err != nil {
		return nil, err
	}
	if req.PermissionsBoundary != "" {
		return nil, invalidInput("Permissions boundaries are not supported.")
	}
	if err := checkTagKeys(req.Tags); err != nil {
		return nil, err
	}
	u := fsm.IAMUser{AccountID: c.AccountID, UserID: newIAMID("AIDA"), UserName: req.Name, Path: req.Path,
		CreateDate: n.iamNow(), Tags: req.Tags}
	return applyAs[*fsm.IAMUser](ctx, n, fsm.CmdCreateUser, fsm.CreateUser{User: u})
}

// GetIAMUser returns the named user, or the caller when name is "".
func (n *Node) GetIAMUser(c *AWSCaller, name string) (*fsm.IAMUser, error) {
	return n.callerOrNamed(c, "iam:GetUser", name)
}

// ListIAMUsers lists the account's users under pathPrefix, by name
// ignoring case.
func (n *Node) ListIAMUsers(c *AWSCaller, pathPrefix, marker string, maxItems int) (Page[*fsm.IAMUser], error) {
	if err := n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
		return Page[*fsm.IAMUser]{}, err
	}
	users := filterPath(n.State().IAMUsers(c.AccountID), userPath, pathPrefix)
	return paginate(users, lowerUserName, marker, maxItems)
}

// UpdateIAMUser renames a user and/or moves it to another path; empty
// values are unchanged. Both the old and the new ARN must be allowed, as
// in AWS (a rename needs permission on both names).
func (n *Node) UpdateIAMUser(ctx context.Context, c *AWSCaller, name, newName, newPath string) (*fsm.IAMUser, error) {
	u, err := n.targetUser(c, "iam:UpdateUser", name)
	if err != nil {
		return nil, err
	}
	if newName != "" || newPath != "" {
		to := *u
		if newName != "" {
			to.UserName = newName
		}
		if newPath != "" {
			to.Path = newPath
		}
		if err := n.AuthorizeIAM(c, "iam:UpdateUser", UserArn(&to)); err != nil {
			return nil, err
		}
	}
	return applyAs[*fsm.IAMUser](ctx, n, fsm.CmdUpdateUser, fsm.UpdateUser{
		AccountID: c.AccountID, UserID: u.UserID, Name: name, NewName: newName, NewPath: newPath})
}

// DeleteIAMUser deletes a user that has nothing left attached.
func (n *Node) DeleteIAMUser(ctx context.Context, c *AWSCaller, name string) error {
	u, err := n.targetUser(c, "iam:DeleteUser", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeleteUser, fsm.DeleteUser{AccountID: c.AccountID, UserID: u.UserID, Name: name})
	return err
}

// SetIAMUserStatus turns all of a user's credentials off (inactive) or back
// on, without deleting anything (SeaweedFS extension).
func (n *Node) SetIAMUserStatus(ctx context.Context, c *AWSCaller, name string, active bool) error {
	u, err := n.targetUser(c, "iam:SetUserStatus", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdSetUserStatus, fsm.SetUserStatus{AccountID: c.AccountID, UserID: u.UserID, Name: name, Inactive: !active})
	return err
}

// TagIAMUser merges tags into a user's (limit checked after merging).
func (n *Node) TagIAMUser(ctx context.Context, c *AWSCaller, name string, tags []fsm.Tag) error {
	u, err := n.targetUser(c, "iam:TagUser", name)
	if err != nil {
		return err
	}
	if err := checkTagKeys(tags); err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdTagUser, fsm.TagUser{AccountID: c.AccountID, UserID: u.UserID, Name: name, Tags: tags})
	return err
}

// UntagIAMUser removes tags by key (any case); absent keys are ignored.
func (n *Node) UntagIAMUser(ctx context.Context, c *AWSCaller, name string, keys []string) error {
	u, err := n.targetUser(c, "iam:UntagUser", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdUntagUser, fsm.UntagUser{AccountID: c.AccountID, UserID: u.UserID, Name: name, Keys: keys})
	return err
}

// ListIAMUserTags pages through a user's tags, by key ignoring case.
func (n *Node) ListIAMUserTags(c *AWSCaller, name, marker string, maxItems int) (Page[fsm.Tag], error) {
	u, err := n.targetUser(c, "iam:ListUserTags", name)
	if err != nil {
		return Page[fsm.Tag]{}, err
	}
	tags := append([]fsm.Tag(nil), u.Tags...)
	sort.Slice(tags, func(i, j int) bool { return lowerTagKey(tags[i]) < lowerTagKey(tags[j]) })
	return paginate(tags, lowerTagKey, marker, maxItems)
}

// checkTagKeys refuses two tags whose keys differ only in case.
func checkTagKeys(tags []fsm.Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// errNoSuchUser is NoSuchEntity for a user, in AWS's words.
func errNoSuchUser(name string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The user with name %s cannot be found.", name)
}
