package fsm

import (
	"slices"
	"strings"
	"time"
)

// Identity group commands (spec/vault.md §4.3). Checks follow Vault's
// handleGroupUpdateCommon and sanitizeAndUpsertGroup, in their order.
const (
	CmdUpsertIdentityGroup CommandType = 104
	CmdDeleteIdentityGroup CommandType = 105
)

func init() {
	register(CmdUpsertIdentityGroup, "upsert-identity-group", applyUpsertIdentityGroup)
	register(CmdDeleteIdentityGroup, "delete-identity-group", applyDeleteIdentityGroup)
}

// UpsertIdentityGroup creates or updates a group. ID selects an existing
// group (it must exist); ByName selects the group named Name, creating it
// if there is none; neither creates a new group. Nil fields keep their
// value.
type UpsertIdentityGroup struct {
	ID              string
	ByName          bool
	Name            string
	NewID           string // for a new group: its ID and, without Name, its name
	NewName         string
	Type            *string
	Metadata        *StringMap
	Policies        *[]string
	MemberEntityIDs *[]string
	MemberGroupIDs  *[]string
	Time            time.Time
}

// IdentityGroupWrite is the result of a group upsert.
type IdentityGroupWrite struct {
	Group   *IdentityGroup
	Created bool
}

func applyUpsertIdentityGroup(tx *txn, env Env, cmd *UpsertIdentityGroup) (any, error) {
	var cur *IdentityGroup
	switch {
	case cmd.ID != "":
		if cur = first[IdentityGroup](tx, tableIdentityGroups, "id", cmd.ID); cur == nil {
			return nil, identityErr("invalid group ID")
		}
	case cmd.ByName:
		cur = first[IdentityGroup](tx, tableIdentityGroups, "name", cmd.Name)
	}
	var g IdentityGroup
	if cur != nil {
		g = *cur
	} else {
		g = IdentityGroup{ID: cmd.NewID, CreationTime: cmd.Time}
	}
	if err := applyGroupFields(tx, &g, cmd); err != nil {
		return nil, err
	}
	if cur == nil {
		if first[IdentityGroup](tx, tableIdentityGroups, "id", cmd.NewID) != nil {
			return nil, errGeneratedCollision("group ID")
		}
		if g.Name == "" {
			if first[IdentityGroup](tx, tableIdentityGroups, "name", cmd.NewName) != nil {
				return nil, errGeneratedCollision("group name")
			}
			g.Name = cmd.NewName
		}
	}
	g.LastUpdateTime = cmd.Time
	if err := checkGroupMembers(tx, &g, cur, cmd.MemberGroupIDs); err != nil {
		return nil, err
	}
	g.ModifyIndex++
	if err := insert(tx, tableIdentityGroups, &g); err != nil {
		return nil, err
	}
	return &IdentityGroupWrite{Group: &g, Created: cur == nil}, nil
}

// applyGroupFields copies the supplied fields onto g, refusing what Vault
// refuses before it looks at members.
func applyGroupFields(tx *txn, g *IdentityGroup, cmd *UpsertIdentityGroup) error {
	if cmd.Policies != nil {
		g.Policies = *cmd.Policies
	}
	for _, p := range g.Policies {
		if strings.EqualFold(p, "root") {
			return identityErr("policies cannot contain root")
		}
	}
	if cmd.Type != nil {
		if g.Type != "" && *cmd.Type != g.Type {
			return identityErr("group type cannot be changed")
		}
		g.Type = *cmd.Type
	}
	if g.Type == "" {
		g.Type = IdentityGroupInternal
	}
	if g.Type != IdentityGroupInternal && g.Type != IdentityGroupExternal {
		return identityErr("invalid group type %q", g.Type)
	}
	if cmd.Name != "" {
		if other := first[IdentityGroup](tx, tableIdentityGroups, "name", cmd.Name); other != nil && other.ID != g.ID {
			return identityErr("group name is already in use")
		}
		g.Name = cmd.Name
	}
	if cmd.Metadata != nil {
		g.Metadata = *cmd.Metadata
	}
	if cmd.MemberEntityIDs != nil {
		if g.Type == IdentityGroupExternal {
			return identityErr("member entities can't be set manually for external groups")
		}
		g.MemberEntityIDs = *cmd.MemberEntityIDs
	}
	if cmd.MemberGroupIDs != nil && g.Type == IdentityGroupExternal {
		return identityErr("member groups can't be set for external groups")
	}
	return nil
}

// checkGroupMembers verifies that every member exists and that no new
// member group would close a cycle, then sets g's member groups.
func checkGroupMembers(tx *txn, g, cur *IdentityGroup, memberGroups *[]string) error {
	for _, id := range g.MemberEntityIDs {
		if first[Entity](tx, tableEntities, "id", id) == nil {
			return identityErr("invalid entity ID %q", id)
		}
	}
	if memberGroups == nil {
		return nil
	}
	for _, m := range *memberGroups {
		if first[IdentityGroup](tx, tableIdentityGroups, "id", m) == nil {
			return identityErr("invalid member group ID %q", m)
		}
		if cur != nil && slices.Contains(cur.MemberGroupIDs, m) {
			continue // already a member: no new edge
		}
		if m == g.ID {
			return identityErr("member group ID %q is same as the ID of the group", m)
		}
		if cur != nil && reachesGroup(tx, m, g.ID) {
			return identityErr("cyclic relationship detected for member group ID %q", m)
		}
	}
	g.MemberGroupIDs = *memberGroups
	return nil
}

// reachesGroup reports whether target is from, or a member (at any depth)
// of from: making from a member of target would then close a cycle.
func reachesGroup(tx *txn, from, target string) bool {
	seen := map[string]bool{from: true}
	stack := []string{from}
	// Every group is pushed at most once, so the walk is bounded by the
	// number of groups.
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == target {
			return true
		}
		g := first[IdentityGroup](tx, tableIdentityGroups, "id", id)
		if g == nil {
			continue
		}
		for _, m := range g.MemberGroupIDs {
			if !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	return false
}

// DeleteIdentityGroup deletes a group by ID or by name, and its alias; a
// missing group is not an error. Groups that listed it as a member drop it.
type DeleteIdentityGroup struct {
	ID   string
	Name string
}

func applyDeleteIdentityGroup(tx *txn, env Env, cmd *DeleteIdentityGroup) (any, error) {
	var g *IdentityGroup
	if cmd.ID != "" {
		g = first[IdentityGroup](tx, tableIdentityGroups, "id", cmd.ID)
	} else if cmd.Name != "" {
		g = first[IdentityGroup](tx, tableIdentityGroups, "name", cmd.Name)
	}
	if g == nil {
		return nil, nil
	}
	for _, p := range all[IdentityGroup](tx, tableIdentityGroups, "member_group", g.ID) {
		c := *p
		c.MemberGroupIDs = removeFromList(p.MemberGroupIDs, g.ID)
		c.ModifyIndex++
		if err := insert(tx, tableIdentityGroups, &c); err != nil {
			return nil, err
		}
	}
	if err := deleteGroupAliasOf(tx, g.ID); err != nil {
		return nil, err
	}
	return nil, tx.Delete(tableIdentityGroups, g)
}
