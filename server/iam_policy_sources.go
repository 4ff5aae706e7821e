package server

import (
	"sync"
	"sync/atomic"

	"iamd/fsm"
	"iamd/server/policy"
)

// The policy set of a principal (spec §6.5), assembled from the local
// state on each request out of policies compiled once per stored text.

// Source policy types as SimulatePrincipalPolicy names them.
const (
	sourceUser       = "user"
	sourceGroup      = "group"
	sourceUserManage = "user-managed"
	sourceAWSManaged = "aws-managed"
	sourceNone       = "none"
)

// sourceInfo says where a policy of a set comes from, for simulations.
type sourceInfo struct {
	Type string // user | group | user-managed | aws-managed | none
	Name string // SourcePolicyId: the policy's name
}

// policySet is a principal's identity policies; info[i] describes
// sources[i]. Source IDs are unique within the set.
type policySet struct {
	sources []policy.Source
	info    []sourceInfo
}

func (s *policySet) add(id string, p *policy.Policy, info sourceInfo) {
	if p == nil {
		return
	}
	s.sources = append(s.sources, policy.Source{ID: id, Policy: p})
	s.info = append(s.info, info)
}

// userPolicySources returns the policies that apply to a user: its inline
// and attached managed policies, then those of each enabled group.
func (n *Node) userPolicySources(st *fsm.State, u *fsm.IAMUser) *policySet {
	set := &policySet{}
	n.addEntityPolicies(st, set, u.AccountID, u.UserID, sourceUser)
	for _, gid := range st.UserGroupIDs(u.UserID) {
		g := st.IAMGroupByID(gid)
		if g == nil || g.Disabled {
			continue // a disabled group's policies count for nothing [SW]
		}
		n.addEntityPolicies(st, set, g.AccountID, g.GroupID, sourceGroup)
	}
	return set
}

// cachedUserSources is userPolicySources for the request path: a user's
// set is kept until the next Raft entry is applied, so that repeated
// requests do no table lookups. The applied index is read before the state
// snapshot, so a set is never older than the index it is stored under. The
// result is shared: callers must not modify it.
func (n *Node) cachedUserSources(u *fsm.IAMUser) *policySet {
	idx := n.fsm.AppliedIndex()
	if v, ok := n.iam.sets.Load(u.UserID); ok && v.(*cachedSet).index == idx {
		return v.(*cachedSet).set
	}
	set := n.userPolicySources(n.fsm.State(), u)
	if n.iam.setCount.Add(1) > maxCachedPolicies {
		n.iam.sets.Clear()
		n.iam.setCount.Store(1)
	}
	n.iam.sets.Store(u.UserID, &cachedSet{index: idx, set: set})
	return set
}

type cachedSet struct {
	index uint64
	set   *policySet
}

// groupPolicySources returns a group's own policies.
func (n *Node) groupPolicySources(st *fsm.State, g *fsm.IAMGroup) *policySet {
	set := &policySet{}
	if !g.Disabled {
		n.addEntityPolicies(st, set, g.AccountID, g.GroupID, sourceGroup)
	}
	return set
}

// rolePolicySources returns a role's inline and attached policies: the
// permissions of its sessions before any session policy.
func (n *Node) rolePolicySources(st *fsm.State, r *fsm.IAMRole) *policySet {
	set := &policySet{}
	n.addEntityPolicies(st, set, r.AccountID, r.RoleID, sourceRole)
	return set
}

// addEntityPolicies adds an entity's inline policies (typed inlineType)
// and the default versions of its attached managed policies.
func (n *Node) addEntityPolicies(st *fsm.State, set *policySet, acct, entityID, inlineType string) {
	for _, ip := range st.InlinePolicies(entityID) {
		set.add(ip.ID, n.iam.policies.compiled(ip.ID, ip.Revision, ip.Document, n), sourceInfo{inlineType, ip.PolicyName})
	}
	for _, arn := range st.AttachedPolicyArns(entityID) {
		p, info := n.managedPolicy(st, acct, arn)
		set.add(arn, p, info)
	}
}

// managedPolicy returns the compiled default version of a managed policy
// by ARN: a built-in AWS managed policy or one of the account's own.
func (n *Node) managedPolicy(st *fsm.State, acct, arn string) (*policy.Policy, sourceInfo) {
	if b := awsManagedPolicyByArn(arn); b != nil {
		return b.compiled, sourceInfo{sourceAWSManaged, b.Name}
	}
	mp := st.ManagedPolicyByArn(arn)
	if mp == nil || mp.AccountID != acct {
		return nil, sourceInfo{}
	}
	v := st.PolicyVersion(mp.PolicyID, mp.DefaultVersionID)
	if v == nil {
		return nil, sourceInfo{}
	}
	// Versions are immutable and their IDs never reused: the ID alone
	// names the text.
	return n.iam.policies.compiled(v.ID, 0, v.Document, n), sourceInfo{sourceUserManage, mp.PolicyName}
}

// iamPolicyCache holds compiled identity policies keyed by the stored
// row's ID, tagged with the row's revision: a changed policy has a new
// revision and is compiled again on first use, so no request parses JSON
// for a policy it has seen. Rows that disappear leave entries behind; the
// cache is emptied when it grows past maxCachedPolicies.
type iamPolicyCache struct {
	m    sync.Map // row ID -> *cachedPolicy
	size atomic.Int64
}

type cachedPolicy struct {
	revision uint64
	policy   *policy.Policy // nil: the stored text does not parse
}

const maxCachedPolicies = 1 << 16

func (c *iamPolicyCache) compiled(id string, revision uint64, doc string, n *Node) *policy.Policy {
	if v, ok := c.m.Load(id); ok && v.(*cachedPolicy).revision == revision {
		return v.(*cachedPolicy).policy
	}
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		// Validated before it was written, so a newer binary wrote it:
		// grant nothing from it rather than guess.
		n.log.Error("stored IAM policy does not parse", "id", id, "error", err)
		p = nil
	}
	if c.size.Add(1) > maxCachedPolicies {
		c.m.Clear()
		c.size.Store(1)
	}
	c.m.Store(id, &cachedPolicy{revision: revision, policy: p})
	return p
}
