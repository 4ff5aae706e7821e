package server

import (
	"context"
	"sort"
	"strings"

	"iamd/fsm"
)

// Attaching managed policies to users and groups (spec §4.4). The limit of
// ten per entity is decided in FSM Apply, so concurrent attachments cannot
// exceed it.

var attachActions = map[string]struct{ attach, detach, list string }{
	fsm.EntityUser:  {"iam:AttachUserPolicy", "iam:DetachUserPolicy", "iam:ListAttachedUserPolicies"},
	fsm.EntityGroup: {"iam:AttachGroupPolicy", "iam:DetachGroupPolicy", "iam:ListAttachedGroupPolicies"},
	fsm.EntityRole:  {"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"},
}

// AttachPolicy attaches a managed policy to a user or group; attaching it
// again succeeds.
func (n *Node) AttachPolicy(ctx context.Context, c *AWSCaller, o PolicyOwner, arn string) error {
	return n.changeAttachment(ctx, c, o, arn, true)
}

// DetachPolicy detaches a managed policy; one not attached is NoSuchEntity.
func (n *Node) DetachPolicy(ctx context.Context, c *AWSCaller, o PolicyOwner, arn string) error {
	return n.changeAttachment(ctx, c, o, arn, false)
}

func (n *Node) changeAttachment(ctx context.Context, c *AWSCaller, o PolicyOwner, arn string, attach bool) error {
	if err := checkPolicyArn(arn); err != nil {
		return err
	}
	st := n.fsm.State()
	r := n.resolveOwner(st, c.AccountID, o)
	action := attachActions[o.Type].detach
	if attach {
		action = attachActions[o.Type].attach
	}
	if err := n.authorizeIAM(c, action, r.arn, map[string][]string{"iam:policyarn": {arn}}); err != nil {
		return err
	}
	if r.id == "" {
		return r.missing(o.Type)
	}
	cmd := fsm.AttachPolicy{AccountID: c.AccountID, EntityType: o.Type, EntityID: r.id, EntityName: r.name,
		PolicyArn: arn, AWSManaged: awsManagedPolicyByArn(arn) != nil}
	if !attach {
		_, err := n.apply(ctx, fsm.CmdDetachPolicy, (*fsm.DetachPolicy)(&cmd))
		return err
	}
	if findPolicy(st, c.AccountID, arn) == nil {
		return fsm.NoSuchPolicy(arn)
	}
	_, err := n.apply(ctx, fsm.CmdAttachPolicy, &cmd)
	return err
}

// AttachedPolicy is one entry of ListAttached*Policies.
type AttachedPolicy struct {
	PolicyName string
	PolicyArn  string
	path       string
}

// ListAttachedPolicies lists the managed policies attached to a user or
// group whose path starts with pathPrefix, sorted by name ignoring case.
func (n *Node) ListAttachedPolicies(c *AWSCaller, o PolicyOwner, pathPrefix, marker string, maxItems int) (Page[AttachedPolicy], error) {
	st := n.fsm.State()
	r := n.resolveOwner(st, c.AccountID, o)
	if err := n.AuthorizeIAM(c, attachActions[o.Type].list, r.arn); err != nil {
		return Page[AttachedPolicy]{}, err
	}
	if r.id == "" {
		return Page[AttachedPolicy]{}, r.missing(o.Type)
	}
	list := attachedPolicies(st, c.AccountID, r.id)
	list = filterPath(list, func(a AttachedPolicy) string { return a.path }, pathPrefix)
	return paginate(list, attachedSortKey, marker, maxItems)
}

// attachedPolicies returns an entity's attached policies, sorted.
func attachedPolicies(st *fsm.State, acct, entityID string) []AttachedPolicy {
	var out []AttachedPolicy
	for _, arn := range st.AttachedPolicyArns(entityID) {
		if p := findPolicy(st, acct, arn); p != nil {
			out = append(out, AttachedPolicy{PolicyName: p.PolicyName, PolicyArn: p.Arn, path: p.Path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return attachedSortKey(out[i]) < attachedSortKey(out[j]) })
	return out
}

func attachedSortKey(a AttachedPolicy) string {
	return strings.ToLower(a.PolicyName) + "\x00" + a.PolicyArn
}

// PolicyEntity is one entity a policy is attached to.
type PolicyEntity struct {
	Type string // fsm.EntityUser | fsm.EntityGroup
	Name string
	ID   string
	path string
}

// ListEntitiesForPolicy lists where a managed policy is attached. filter
// is EntityFilter ("" or LocalManagedPolicy/AWSManagedPolicy: all; User;
// Group; Role: none yet).
func (n *Node) ListEntitiesForPolicy(c *AWSCaller, arn, filter, pathPrefix, marker string, maxItems int) (Page[PolicyEntity], error) {
	st, p, err := n.policyFor(c, "iam:ListEntitiesForPolicy", arn)
	if err != nil {
		return Page[PolicyEntity]{}, err
	}
	switch {
	case filter == "LocalManagedPolicy" && p.AWSManaged, filter == "AWSManagedPolicy" && !p.AWSManaged:
		return paginate([]PolicyEntity(nil), entitySortKey, marker, maxItems)
	}
	var out []PolicyEntity
	for _, a := range st.PolicyAttachments(arn) {
		if a.AccountID != c.AccountID {
			continue
		}
		switch a.EntityType {
		case fsm.EntityUser:
			if u := st.IAMUserByID(a.EntityID); u != nil && (filter == "" || filter == "User" || strings.HasSuffix(filter, "ManagedPolicy")) {
				out = append(out, PolicyEntity{Type: fsm.EntityUser, Name: u.UserName, ID: u.UserID, path: u.Path})
			}
		case fsm.EntityGroup:
			if g := st.IAMGroupByID(a.EntityID); g != nil && (filter == "" || filter == "Group" || strings.HasSuffix(filter, "ManagedPolicy")) {
				out = append(out, PolicyEntity{Type: fsm.EntityGroup, Name: g.GroupName, ID: g.GroupID, path: g.Path})
			}
		case fsm.EntityRole:
			if r := st.IAMRoleByID(a.EntityID); r != nil && (filter == "" || filter == "Role" || strings.HasSuffix(filter, "ManagedPolicy")) {
				out = append(out, PolicyEntity{Type: fsm.EntityRole, Name: r.RoleName, ID: r.RoleID, path: r.Path})
			}
		}
	}
	out = filterPath(out, func(e PolicyEntity) string { return e.path }, pathPrefix)
	sort.Slice(out, func(i, j int) bool { return entitySortKey(out[i]) < entitySortKey(out[j]) })
	return paginate(out, entitySortKey, marker, maxItems)
}

func entitySortKey(e PolicyEntity) string { return e.Type + "\x00" + strings.ToLower(e.Name) }
