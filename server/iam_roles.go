package server

import (
	"context"
	"sort"
	"strings"

	"iamd/fsm"
	"iamd/server/policy"
)

// IAM roles (spec/aws-iam.md §5.2). A role's inline and attached policies
// use the shared owner operations (iam_inline.go, iam_attach.go) with
// PolicyOwner{Type: fsm.EntityRole}; sessions of a role are in sts_*.go.

// Role session duration bounds (seconds).
const (
	MinSessionDuration     = 900
	DefaultRoleMaxDuration = 3600
	MaxRoleMaxDuration     = 43200
)

// RoleArn is a role's ARN.
func RoleArn(r *fsm.IAMRole) string { return iamArn(r.AccountID, "role", r.Path, r.RoleName) }

// roleResource returns the named role (nil if missing) and the ARN to
// authorize against: the role's, or the one it would have at path "/".
func roleResource(st *fsm.State, acct, name string) (*fsm.IAMRole, string) {
	r := st.IAMRole(acct, name)
	if r != nil {
		return r, RoleArn(r)
	}
	return nil, iamArn(acct, "role", "/", name)
}

// targetRole authorizes action on the named role and returns it;
// NoSuchEntity after authorization when it does not exist.
func (n *Node) targetRole(c *AWSCaller, action, name string) (*fsm.IAMRole, error) {
	r, arn := roleResource(n.State(), c.AccountID, name)
	if err := n.AuthorizeIAM(c, action, arn); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fsm.NoSuchRole(name)
	}
	return r, nil
}

// ParseTrustPolicy validates a role trust policy (MalformedPolicyDocument
// with AWS's message; LimitExceeded over 2048 characters).
func ParseTrustPolicy(doc string) (*policy.Policy, error) {
	if err := policy.CheckSize(policy.TrustQuota, "role trust policy", doc); err != nil {
		return nil, policyError(err)
	}
	p, err := policy.Parse(doc, policy.Trust)
	if err != nil {
		return nil, policyError(err)
	}
	return p, nil
}

// CreateRoleRequest is CreateRole's input; MaxSessionDuration 0 means the
// default (3600).
type CreateRoleRequest struct {
	Name, Path, TrustPolicy, Description string
	MaxSessionDuration                   int
	Tags                                 []fsm.Tag
	PermissionsBoundary                  string
}

// CreateIAMRole creates a role in the caller's account.
func (n *Node) CreateIAMRole(ctx context.Context, c *AWSCaller, req CreateRoleRequest) (*fsm.IAMRole, error) {
	if req.Path == "" {
		req.Path = "/"
	}
	if req.MaxSessionDuration == 0 {
		req.MaxSessionDuration = DefaultRoleMaxDuration
	}
	if err := n.AuthorizeIAM(c, "iam:CreateRole", iamArn(c.AccountID, "role", req.Path, req.Name)); err != nil {
		return nil, err
	}
	if req.PermissionsBoundary != "" {
		return nil, invalidInput("Permissions boundaries are not supported.")
	}
	if err := checkTagKeys(req.Tags); err != nil {
		return nil, err
	}
	p, err := ParseTrustPolicy(req.TrustPolicy)
	if err != nil {
		return nil, err
	}
	ids, err := trustPrincipalIDs(n.State(), p)
	if err != nil {
		return nil, err
	}
	r := fsm.IAMRole{AccountID: c.AccountID, RoleID: newIAMID("AROA"), RoleName: req.Name, Path: req.Path,
		AssumeRolePolicy: req.TrustPolicy, Description: req.Description, MaxSessionDuration: req.MaxSessionDuration,
		CreateDate: n.iamNow(), Tags: req.Tags, TrustPrincipals: ids}
	return applyAs[*fsm.IAMRole](ctx, n, fsm.CmdCreateRole, fsm.CreateRole{Role: r})
}

// GetIAMRole returns the named role.
func (n *Node) GetIAMRole(c *AWSCaller, name string) (*fsm.IAMRole, error) {
	return n.targetRole(c, "iam:GetRole", name)
}

// ListIAMRoles lists the account's roles under pathPrefix, by name
// ignoring case.
func (n *Node) ListIAMRoles(c *AWSCaller, pathPrefix, marker string, maxItems int) (Page[*fsm.IAMRole], error) {
	if err := n.AuthorizeIAM(c, "iam:ListRoles", "*"); err != nil {
		return Page[*fsm.IAMRole]{}, err
	}
	roles := filterPath(n.State().IAMRoles(c.AccountID), func(r *fsm.IAMRole) string { return r.Path }, pathPrefix)
	return paginate(roles, lowerRoleName, marker, maxItems)
}

func lowerRoleName(r *fsm.IAMRole) string { return strings.ToLower(r.RoleName) }

// UpdateIAMRole changes a role's description (nil: unchanged) and maximum
// session duration (0: unchanged).
func (n *Node) UpdateIAMRole(ctx context.Context, c *AWSCaller, name string, description *string, maxSession int) error {
	r, err := n.targetRole(c, "iam:UpdateRole", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdUpdateRole, fsm.UpdateRole{AccountID: c.AccountID, RoleID: r.RoleID, Name: name,
		Description: description, MaxSessionDuration: maxSession})
	return err
}

// UpdateIAMAssumeRolePolicy replaces a role's trust policy.
func (n *Node) UpdateIAMAssumeRolePolicy(ctx context.Context, c *AWSCaller, name, doc string) error {
	r, err := n.targetRole(c, "iam:UpdateAssumeRolePolicy", name)
	if err != nil {
		return err
	}
	p, err := ParseTrustPolicy(doc)
	if err != nil {
		return err
	}
	ids, err := trustPrincipalIDs(n.State(), p)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdUpdateAssumeRolePolicy, fsm.UpdateAssumeRolePolicy{AccountID: c.AccountID,
		RoleID: r.RoleID, Name: name, Document: doc, TrustPrincipals: ids})
	return err
}

// DeleteIAMRole deletes a role without policies; its sessions then fail
// authentication (they name the role's ID, which is gone).
func (n *Node) DeleteIAMRole(ctx context.Context, c *AWSCaller, name string) error {
	r, err := n.targetRole(c, "iam:DeleteRole", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeleteRole, fsm.DeleteRole{AccountID: c.AccountID, RoleID: r.RoleID, Name: name})
	return err
}

// TagIAMRole merges tags into a role's.
func (n *Node) TagIAMRole(ctx context.Context, c *AWSCaller, name string, tags []fsm.Tag) error {
	r, err := n.targetRole(c, "iam:TagRole", name)
	if err != nil {
		return err
	}
	if err := checkTagKeys(tags); err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdTagRole, fsm.TagRole{AccountID: c.AccountID, RoleID: r.RoleID, Name: name, Tags: tags})
	return err
}

// UntagIAMRole removes tags from a role by key.
func (n *Node) UntagIAMRole(ctx context.Context, c *AWSCaller, name string, keys []string) error {
	r, err := n.targetRole(c, "iam:UntagRole", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdUntagRole, fsm.UntagRole{AccountID: c.AccountID, RoleID: r.RoleID, Name: name, Keys: keys})
	return err
}

// ListIAMRoleTags lists a role's tags by key.
func (n *Node) ListIAMRoleTags(c *AWSCaller, name, marker string, maxItems int) (Page[fsm.Tag], error) {
	r, err := n.targetRole(c, "iam:ListRoleTags", name)
	if err != nil {
		return Page[fsm.Tag]{}, err
	}
	tags := append([]fsm.Tag(nil), r.Tags...)
	sort.Slice(tags, func(i, j int) bool { return lowerTagKey(tags[i]) < lowerTagKey(tags[j]) })
	return paginate(tags, lowerTagKey, marker, maxItems)
}
