package server

import (
	"sort"
	"strconv"
	"strings"

	"iamd/fsm"
	"iamd/server/acl"
)

// identityPolicies returns the policies an entity gets from itself and
// from its direct and inherited groups, sorted and de-duplicated. A
// disabled or missing entity grants nothing.
func (n *Node) identityPolicies(entityID string) []string {
	return identityPoliciesIn(n.fsm.State(), entityID)
}

func identityPoliciesIn(st *fsm.State, entityID string) []string {
	e := st.Entity(entityID)
	if e == nil || e.Disabled {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(list []string) {
		for _, p := range list {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	add(e.Policies)
	direct, inherited := st.EntityGroups(entityID)
	for _, g := range append(direct, inherited...) {
		add(g.Policies)
	}
	sort.Strings(out)
	return out
}

// IdentityPolicies is identityPolicies for the wire layer (auth blocks,
// token lookups).
func (n *Node) IdentityPolicies(entityID string) []string {
	if entityID == "" {
		return nil
	}
	return n.identityPolicies(entityID)
}

// identityVersion identifies what a compiled ACL's templates depend on:
// the entity, its aliases and its groups, each at its current version.
func identityVersion(st *fsm.State, entityID string) string {
	e := st.Entity(entityID)
	if e == nil {
		return entityID
	}
	var b strings.Builder
	b.WriteString(entityID + "@" + strconv.FormatInt(e.LastUpdateTime.UnixNano(), 36))
	for _, a := range st.EntityAliases(entityID) {
		b.WriteString("," + a.ID + "@" + strconv.FormatInt(a.LastUpdateTime.UnixNano(), 36))
	}
	direct, inherited := st.EntityGroups(entityID)
	for _, g := range append(direct, inherited...) {
		b.WriteString("," + g.ID + "@" + strconv.FormatUint(g.ModifyIndex, 36))
	}
	return b.String()
}

// templateResolver fills {{identity.entity.*}} and {{identity.groups.*}}
// in templated policy paths from the token's entity.
func (n *Node) templateResolver(st *fsm.State, entityID string) acl.Resolver {
	if entityID == "" {
		return nil
	}
	e := st.Entity(entityID)
	if e == nil {
		return (&acl.Entity{ID: entityID}).Resolve
	}
	ent := &acl.Entity{ID: e.ID, Name: e.Name, Metadata: e.Metadata}
	for _, a := range st.EntityAliases(entityID) {
		ent.Aliases = append(ent.Aliases, acl.Alias{MountAccessor: a.MountAccessor, ID: a.ID, Name: a.Name, Metadata: a.Metadata})
	}
	direct, inherited := st.EntityGroups(entityID)
	for _, g := range append(direct, inherited...) {
		ent.Groups = append(ent.Groups, acl.Group{ID: g.ID, Name: g.Name, Metadata: g.Metadata})
	}
	return ent.Resolve
}
