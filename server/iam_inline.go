package server

import (
	"context"
	"errors"
	"sort"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/policy"
)

// Inline policies of users and groups (spec §4.3): one set of operations
// parameterised by the owner's type. Roles will plug in the same way.

// PolicyOwner names the user or group a policy is embedded in or attached to.
type PolicyOwner struct {
	Type string // fsm.EntityUser | fsm.EntityGroup
	Name string
}

// inlineActions are the IAM action names per owner type.
var inlineActions = map[string]struct{ put, get, del, list string }{
	fsm.EntityUser:  {"iam:PutUserPolicy", "iam:GetUserPolicy", "iam:DeleteUserPolicy", "iam:ListUserPolicies"},
	fsm.EntityGroup: {"iam:PutGroupPolicy", "iam:GetGroupPolicy", "iam:DeleteGroupPolicy", "iam:ListGroupPolicies"},
	fsm.EntityRole:  {"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies"},
}

// inlineQuota is the aggregate size quota of an owner type's inline policies.
var inlineQuota = map[string]policy.Quota{
	fsm.EntityUser:  policy.UserInlineQuota,
	fsm.EntityGroup: policy.GroupInlineQuota,
	fsm.EntityRole:  policy.RoleInlineQuota,
}

// resolvedOwner is an owner found in the state (ID "" when missing) with
// the ARN to authorize against.
type resolvedOwner struct {
	id, name, arn string
}

func (n *Node) resolveOwner(st *fsm.State, acct string, o PolicyOwner) resolvedOwner {
	switch o.Type {
	case fsm.EntityUser:
		u, arn := userResource(st, acct, o.Name)
		if u != nil {
			return resolvedOwner{u.UserID, u.UserName, arn}
		}
		return resolvedOwner{"", o.Name, arn}
	case fsm.EntityRole:
		r, arn := roleResource(st, acct, o.Name)
		if r != nil {
			return resolvedOwner{r.RoleID, r.RoleName, arn}
		}
		return resolvedOwner{"", o.Name, arn}
	default:
		g, arn := groupResource(st, acct, o.Name)
		if g != nil {
			return resolvedOwner{g.GroupID, g.GroupName, arn}
		}
		return resolvedOwner{"", o.Name, arn}
	}
}

func (r resolvedOwner) missing(typ string) error {
	if typ == fsm.EntityUser {
		return noSuchUserNamed(r.name)
	}
	if typ == fsm.EntityRole {
		return fsm.NoSuchRole(r.name)
	}
	return noSuchGroupNamed(r.name)
}

// ParseIdentityPolicy validates an identity policy document as AWS does:
// MalformedPolicyDocument with AWS's message when it is not one.
func ParseIdentityPolicy(doc string) (*policy.Policy, error) {
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		return nil, policyError(err)
	}
	return p, nil
}

// policyError maps the policy package's errors to AWS codes.
func policyError(err error) error {
	var me *policy.MalformedError
	if errors.As(err, &me) {
		return iamerr.WithCode(iamerr.Invalid, "MalformedPolicyDocument", "%s", me.Message)
	}
	var le *policy.LimitError
	if errors.As(err, &le) {
		return iamerr.WithCode(iamerr.Limit, "LimitExceeded", "%s", le.Message)
	}
	return err
}

// PutIAMInlinePolicy adds or replaces an inline policy. The document is
// validated here; the aggregate size quota is checked in FSM Apply,
// where the owner's other policies are known exactly.
func (n *Node) PutIAMInlinePolicy(ctx context.Context, c *AWSCaller, o PolicyOwner, name, doc string) error {
	st := n.fsm.State()
	r := n.resolveOwner(st, c.AccountID, o)
	if err := n.AuthorizeIAM(c, inlineActions[o.Type].put, r.arn); err != nil {
		return err
	}
	if _, err := ParseIdentityPolicy(doc); err != nil {
		return err
	}
	if r.id == "" {
		return r.missing(o.Type)
	}
	quota := inlineQuota[o.Type]
	// A single document over the quota fails before it reaches Raft.
	if err := policy.CheckSize(quota, r.name, doc); err != nil {
		return policyError(err)
	}
	_, err := n.apply(ctx, fsm.CmdPutInlinePolicy, &fsm.PutInlinePolicy{OwnerName: r.name, Limit: quota.Limit(),
		Policy: fsm.InlinePolicy{AccountID: c.AccountID, OwnerType: o.Type, OwnerID: r.id, PolicyName: name,
			Document: doc, Size: policy.Size(doc)}})
	return err
}

// GetIAMInlinePolicy returns one inline policy; OwnerName is the owner's name
// as stored.
func (n *Node) GetIAMInlinePolicy(c *AWSCaller, o PolicyOwner, name string) (p *fsm.InlinePolicy, ownerName string, err error) {
	st := n.fsm.State()
	r := n.resolveOwner(st, c.AccountID, o)
	if err := n.AuthorizeIAM(c, inlineActions[o.Type].get, r.arn); err != nil {
		return nil, "", err
	}
	if r.id == "" {
		return nil, "", r.missing(o.Type)
	}
	if p = st.InlinePolicy(r.id, name); p == nil {
		return nil, "", fsm.NoSuchInlinePolicy(o.Type, name)
	}
	return p, r.name, nil
}

// DeleteIAMInlinePolicy deletes one inline policy.
func (n *Node) DeleteIAMInlinePolicy(ctx context.Context, c *AWSCaller, o PolicyOwner, name string) error {
	st := n.fsm.State()
	r := n.resolveOwner(st, c.AccountID, o)
	if err := n.AuthorizeIAM(c, inlineActions[o.Type].del, r.arn); err != nil {
		return err
	}
	if r.id == "" {
		return r.missing(o.Type)
	}
	_, err := n.apply(ctx, fsm.CmdDeleteInlinePolicy, &fsm.DeleteInlinePolicy{AccountID: c.AccountID,
		OwnerType: o.Type, OwnerID: r.id, OwnerName: r.name, PolicyName: name})
	return err
}

// ListIAMInlinePolicies lists the names of an owner's inline policies.
func (n *Node) ListIAMInlinePolicies(c *AWSCaller, o PolicyOwner, marker string, maxItems int) (Page[string], error) {
	st := n.fsm.State()
	r := n.resolveOwner(st, c.AccountID, o)
	if err := n.AuthorizeIAM(c, inlineActions[o.Type].list, r.arn); err != nil {
		return Page[string]{}, err
	}
	if r.id == "" {
		return Page[string]{}, r.missing(o.Type)
	}
	var names []string
	for _, p := range st.InlinePolicies(r.id) {
		names = append(names, p.PolicyName)
	}
	sort.Strings(names)
	return paginate(names, identity, marker, maxItems)
}
