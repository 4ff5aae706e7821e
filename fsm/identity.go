package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Vault identity (spec/vault.md §4): entities, their aliases on auth mounts,
// and groups. This file holds the rows, their tables and the queries; the
// commands that change them are in identity_apply.go and groups.go.

// Entity is a Vault identity entity. Names are unique case-insensitively.
type Entity struct {
	ID              string
	Name            string
	Metadata        StringMap
	Policies        []string
	Disabled        bool
	MergedEntityIDs []string
	CreationTime    time.Time
	LastUpdateTime  time.Time
	// MFASecrets holds the entity's TOTP key per login MFA method ID,
	// sealed by the server's keyring before it enters a command: the
	// clear key never reaches the log, the state or a snapshot.
	MFASecrets map[string][]byte
}

// EntityAlias ties an entity to a user name on one auth mount. There is at
// most one alias per (MountAccessor, Name), and one per entity and mount.
type EntityAlias struct {
	ID             string
	CanonicalID    string // the entity's ID
	MountAccessor  string
	Name           string
	Metadata       StringMap // set by auth methods at login
	CustomMetadata StringMap // set through the API
	Local          bool
	CreationTime   time.Time
	LastUpdateTime time.Time
	// MergedFromCanonicalIDs are the entities a merge moved it from.
	MergedFromCanonicalIDs []string `json:",omitempty"`
}

// IdentityGroup is a Vault identity group. Membership is stored on the containing
// group (MemberEntityIDs, MemberGroupIDs); parents are found through the
// member indexes, so the two directions can never disagree.
type IdentityGroup struct {
	ID              string
	Name            string
	Type            string // internal | external
	Metadata        StringMap
	Policies        []string
	MemberEntityIDs []string
	MemberGroupIDs  []string
	CreationTime    time.Time
	LastUpdateTime  time.Time
	ModifyIndex     uint64
}

// Identity group types.
const (
	IdentityGroupInternal = "internal"
	IdentityGroupExternal = "external"
)

const (
	tableEntities       = "identity_entities"
	tableEntityAliases  = "identity_entity_aliases"
	tableIdentityGroups = "identity_groups"
)

func init() {
	registerTable[Entity](&memdb.TableSchema{
		Name: tableEntities,
		Indexes: map[string]*memdb.IndexSchema{
			"id":   idIndex("ID"),
			"name": uniqueIndex("name", "Name", true),
		},
	})
	registerTable[EntityAlias](&memdb.TableSchema{
		Name: tableEntityAliases,
		Indexes: map[string]*memdb.IndexSchema{
			"id":        idIndex("ID"),
			"factors":   mountNameIndex(),
			"canonical": plainIndex("canonical", "CanonicalID"),
			"accessor":  plainIndex("accessor", "MountAccessor"),
		},
	})
	registerTable[IdentityGroup](&memdb.TableSchema{
		Name: tableIdentityGroups,
		Indexes: map[string]*memdb.IndexSchema{
			"id":            idIndex("ID"),
			"name":          uniqueIndex("name", "Name", true),
			"member_entity": sliceIndex("member_entity", "MemberEntityIDs"),
			"member_group":  sliceIndex("member_group", "MemberGroupIDs"),
		},
	})
	// Disabling an auth mount removes the aliases that live on it.
	mountCleanups = append(mountCleanups, deleteMountAliases)
}

func deleteMountAliases(tx *txn, m *AuthMount) error {
	for _, a := range all[EntityAlias](tx, tableEntityAliases, "accessor", m.Accessor) {
		if err := tx.Delete(tableEntityAliases, a); err != nil {
			return err
		}
	}
	return nil
}

// Entity returns the entity with the given ID, or nil.
func (s *State) Entity(id string) *Entity { return first[Entity](s.tx, tableEntities, "id", id) }

// EntityByName returns the entity with the given name (any case), or nil.
func (s *State) EntityByName(name string) *Entity {
	return first[Entity](s.tx, tableEntities, "name", name)
}

// Entities returns every entity in ID order.
func (s *State) Entities() []*Entity { return all[Entity](s.tx, tableEntities, "id") }

// EntityAlias returns the alias with the given ID, or nil.
func (s *State) EntityAlias(id string) *EntityAlias {
	return first[EntityAlias](s.tx, tableEntityAliases, "id", id)
}

// EntityAliasByFactors returns the alias of name on the mount with the
// given accessor, or nil.
func (s *State) EntityAliasByFactors(accessor, name string) *EntityAlias {
	return first[EntityAlias](s.tx, tableEntityAliases, "factors", accessor, name)
}

// EntityAliases returns the aliases of one entity in ID order.
func (s *State) EntityAliases(entityID string) []*EntityAlias {
	return all[EntityAlias](s.tx, tableEntityAliases, "canonical", entityID)
}

// AllEntityAliases returns every alias in ID order.
func (s *State) AllEntityAliases() []*EntityAlias {
	return all[EntityAlias](s.tx, tableEntityAliases, "id")
}

// IdentityGroup returns the group with the given ID, or nil.
func (s *State) IdentityGroup(id string) *IdentityGroup {
	return first[IdentityGroup](s.tx, tableIdentityGroups, "id", id)
}

// IdentityGroupByName returns the group with the given name (any case), or nil.
func (s *State) IdentityGroupByName(name string) *IdentityGroup {
	return first[IdentityGroup](s.tx, tableIdentityGroups, "name", name)
}

// IdentityGroups returns every identity group in ID order.
func (s *State) IdentityGroups() []*IdentityGroup {
	return all[IdentityGroup](s.tx, tableIdentityGroups, "id")
}

// IdentityGroupParents returns the groups that list the group id as a member.
func (s *State) IdentityGroupParents(id string) []*IdentityGroup {
	return all[IdentityGroup](s.tx, tableIdentityGroups, "member_group", id)
}

// EntityGroups returns the groups an entity belongs to directly, and those
// it inherits through nested membership (ancestors of the direct groups
// that are not direct themselves), each in discovery order.
func (s *State) EntityGroups(entityID string) (direct, inherited []*IdentityGroup) {
	direct = all[IdentityGroup](s.tx, tableIdentityGroups, "member_entity", entityID)
	seen := map[string]bool{}
	for _, g := range direct {
		seen[g.ID] = true
	}
	queue := append([]*IdentityGroup(nil), direct...)
	// Each group enters the queue at most once, so this ends after at
	// most len(groups) steps even if the stored graph were cyclic.
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, p := range s.IdentityGroupParents(g.ID) {
			if !seen[p.ID] {
				seen[p.ID] = true
				inherited = append(inherited, p)
				queue = append(queue, p)
			}
		}
	}
	return direct, inherited
}
