package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Identity group aliases (spec/vault.md §4.3): the name an external group
// has on an auth mount. A group has at most one alias, and a name is used
// once per mount. Checks follow Vault's handleGroupAliasUpdateCommon, in
// its order and with its messages.
const (
	CmdUpsertGroupAlias CommandType = 107
	CmdDeleteGroupAlias CommandType = 108
)

const tableGroupAliases = "identity_group_aliases"

// GroupAlias is an external group's alias on one auth mount.
type GroupAlias struct {
	ID             string
	CanonicalID    string // the group's ID
	MountAccessor  string
	Name           string
	CreationTime   time.Time
	LastUpdateTime time.Time
}

func init() {
	register(CmdUpsertGroupAlias, "upsert-group-alias", applyUpsertGroupAlias)
	register(CmdDeleteGroupAlias, "delete-group-alias", applyDeleteGroupAlias)
	auditActions[CmdUpsertGroupAlias] = "identity.group-alias.write"
	auditActions[CmdDeleteGroupAlias] = "identity.group-alias.delete"
	registerTable[GroupAlias](&memdb.TableSchema{
		Name: tableGroupAliases,
		Indexes: map[string]*memdb.IndexSchema{
			"id":        idIndex("ID"),
			"factors":   mountNameIndex(),
			"canonical": uniqueIndex("canonical", "CanonicalID", false),
			"accessor":  plainIndex("accessor", "MountAccessor"),
		},
	})
	mountCleanups = append(mountCleanups, deleteMountGroupAliases)
}

// UpsertGroupAlias creates a group alias or, with ID, updates that one.
// Without CanonicalID a new alias gets a new external group (NewGroupID,
// NewGroupName), as in Vault; an update without it keeps its group.
type UpsertGroupAlias struct {
	ID            string
	Name          string
	MountAccessor string
	CanonicalID   string
	NewID         string
	NewGroupID    string
	NewGroupName  string
	Time          time.Time
}

// GroupAliasWrite is the result of an upsert; Alias is nil when the
// request changed nothing.
type GroupAliasWrite struct {
	Alias *GroupAlias
}

func applyUpsertGroupAlias(tx *txn, env Env, cmd *UpsertGroupAlias) (any, error) {
	var cur *GroupAlias
	if cmd.ID != "" {
		if cur = first[GroupAlias](tx, tableGroupAliases, "id", cmd.ID); cur == nil {
			return nil, identityErr("invalid group alias ID")
		}
	}
	switch {
	case cmd.Name == "":
		return nil, identityErr("missing alias name")
	case cmd.MountAccessor == "":
		return nil, identityErr("missing mount_accessor")
	case cur != nil && cur.Name == cmd.Name && cur.MountAccessor == cmd.MountAccessor &&
		(cmd.CanonicalID == "" || cur.CanonicalID == cmd.CanonicalID):
		return &GroupAliasWrite{}, nil
	}
	if cmd.CanonicalID != "" {
		g := first[IdentityGroup](tx, tableIdentityGroups, "id", cmd.CanonicalID)
		if g == nil {
			return nil, identityErr("invalid group ID given in 'canonical_id'")
		}
		if g.Type != IdentityGroupExternal {
			return nil, identityErr("alias can't be set on an internal group")
		}
	}
	mount := first[AuthMount](tx, tableAuthMounts, "accessor", cmd.MountAccessor)
	if mount == nil {
		return nil, identityErr("invalid mount accessor %q", cmd.MountAccessor)
	}
	if mount.Local {
		return nil, identityErr("mount accessor %q is a local mount", cmd.MountAccessor)
	}
	if other := first[GroupAlias](tx, tableGroupAliases, "factors", cmd.MountAccessor, cmd.Name); other != nil && (cur == nil || other.ID != cur.ID) {
		return nil, identityErr("combination of mount and group alias name is already in use")
	}
	var a GroupAlias
	if cur != nil {
		a = *cur
	} else {
		if first[GroupAlias](tx, tableGroupAliases, "id", cmd.NewID) != nil {
			return nil, errGeneratedCollision("group alias ID")
		}
		a = GroupAlias{ID: cmd.NewID, CreationTime: cmd.Time, CanonicalID: cmd.CanonicalID}
	}
	if cmd.CanonicalID != "" {
		a.CanonicalID = cmd.CanonicalID
	}
	if a.CanonicalID == "" {
		g, err := newExternalGroup(tx, cmd)
		if err != nil {
			return nil, err
		}
		a.CanonicalID = g.ID
	}
	a.Name, a.MountAccessor, a.LastUpdateTime = cmd.Name, cmd.MountAccessor, cmd.Time
	// A group has one alias: the one this write gives it replaces any other.
	if old := first[GroupAlias](tx, tableGroupAliases, "canonical", a.CanonicalID); old != nil && old.ID != a.ID {
		if err := tx.Delete(tableGroupAliases, old); err != nil {
			return nil, err
		}
	}
	if err := insert(tx, tableGroupAliases, &a); err != nil {
		return nil, err
	}
	return &GroupAliasWrite{Alias: &a}, nil
}

// newExternalGroup makes the group a new alias without canonical_id gets.
func newExternalGroup(tx *txn, cmd *UpsertGroupAlias) (*IdentityGroup, error) {
	if first[IdentityGroup](tx, tableIdentityGroups, "id", cmd.NewGroupID) != nil {
		return nil, errGeneratedCollision("group ID")
	}
	if first[IdentityGroup](tx, tableIdentityGroups, "name", cmd.NewGroupName) != nil {
		return nil, errGeneratedCollision("group name")
	}
	g := &IdentityGroup{ID: cmd.NewGroupID, Name: cmd.NewGroupName, Type: IdentityGroupExternal,
		CreationTime: cmd.Time, LastUpdateTime: cmd.Time, ModifyIndex: 1}
	return g, insert(tx, tableIdentityGroups, g)
}

// DeleteGroupAlias deletes a group alias; a missing one is not an error.
type DeleteGroupAlias struct {
	ID string
}

func applyDeleteGroupAlias(tx *txn, env Env, cmd *DeleteGroupAlias) (any, error) {
	a := first[GroupAlias](tx, tableGroupAliases, "id", cmd.ID)
	if a == nil {
		return nil, nil
	}
	return nil, tx.Delete(tableGroupAliases, a)
}

// deleteGroupAliasOf removes the alias of a group being deleted.
func deleteGroupAliasOf(tx *txn, groupID string) error {
	if a := first[GroupAlias](tx, tableGroupAliases, "canonical", groupID); a != nil {
		return tx.Delete(tableGroupAliases, a)
	}
	return nil
}

func deleteMountGroupAliases(tx *txn, m *AuthMount) error {
	for _, a := range all[GroupAlias](tx, tableGroupAliases, "accessor", m.Accessor) {
		if err := tx.Delete(tableGroupAliases, a); err != nil {
			return err
		}
	}
	return nil
}

// GroupAlias returns the group alias with the given ID, or nil.
func (s *State) GroupAlias(id string) *GroupAlias {
	return first[GroupAlias](s.tx, tableGroupAliases, "id", id)
}

// GroupAliasOf returns the alias of the group with the given ID, or nil.
func (s *State) GroupAliasOf(groupID string) *GroupAlias {
	return first[GroupAlias](s.tx, tableGroupAliases, "canonical", groupID)
}

// GroupAliases returns every group alias, by ID.
func (s *State) GroupAliases() []*GroupAlias {
	return all[GroupAlias](s.tx, tableGroupAliases, "id")
}
