package fsm

import (
	"strings"
	"time"

	"iamd/iamerr"
)

// Identity commands. Checks run in the order Vault's identity store runs
// them (OpenBao internal/vault/identity_store_{entities,aliases}.go), with
// its messages, so that a request that breaks two rules sees the same error.
const (
	CmdUpsertEntity      CommandType = 100
	CmdDeleteEntities    CommandType = 101
	CmdUpsertEntityAlias CommandType = 102
	CmdDeleteEntityAlias CommandType = 103
)

func init() {
	register(CmdUpsertEntity, "upsert-entity", applyUpsertEntity)
	register(CmdDeleteEntities, "delete-entities", applyDeleteEntities)
	register(CmdUpsertEntityAlias, "upsert-entity-alias", applyUpsertEntityAlias)
	register(CmdDeleteEntityAlias, "delete-entity-alias", applyDeleteEntityAlias)
}

func identityErr(format string, args ...any) error {
	return iamerr.New(iamerr.Invalid, format, args...)
}

// errRetry marks a collision on an ID or a name the proposer drew at
// random; the server draws again.
func errGeneratedCollision(what string) error {
	return iamerr.WithCode(iamerr.Conflict, "retry", "generated %s collision, retry", what)
}

// UpsertEntity creates or updates an entity. Nil fields keep their value.
type UpsertEntity struct {
	ID       string // update this entity, which must exist
	Name     string // requested name; "" keeps the current one
	NewID    string // for a new entity: its ID and, if Name is "", its name
	NewName  string
	Metadata *StringMap
	Policies *[]string
	Disabled *bool
	Time     time.Time
}

// EntityWrite is the result of an entity upsert.
type EntityWrite struct {
	Entity  *Entity
	Created bool
}

func applyUpsertEntity(tx *txn, env Env, cmd *UpsertEntity) (any, error) {
	var cur *Entity
	if cmd.ID != "" {
		if cur = first[Entity](tx, tableEntities, "id", cmd.ID); cur == nil {
			return nil, identityErr("entity not found from id")
		}
	}
	if cmd.Name != "" {
		byName := first[Entity](tx, tableEntities, "name", cmd.Name)
		switch {
		case byName == nil:
		case cur == nil:
			// A name that exists selects that entity for update.
			cur = byName
		case cur.ID != byName.ID:
			return nil, identityErr("entity name is already in use")
		}
	}
	var e Entity
	if cur != nil {
		e = *cur
	} else {
		if first[Entity](tx, tableEntities, "id", cmd.NewID) != nil {
			return nil, errGeneratedCollision("entity ID")
		}
		e = Entity{ID: cmd.NewID, CreationTime: cmd.Time}
	}
	if cmd.Name != "" {
		e.Name = cmd.Name
	}
	if cmd.Policies != nil {
		e.Policies = *cmd.Policies
	}
	for _, p := range e.Policies {
		if strings.EqualFold(p, "root") {
			return nil, identityErr("policies cannot contain root")
		}
	}
	if cmd.Disabled != nil {
		e.Disabled = *cmd.Disabled
	}
	if cmd.Metadata != nil {
		e.Metadata = *cmd.Metadata
	}
	if e.Name == "" {
		if first[Entity](tx, tableEntities, "name", cmd.NewName) != nil {
			return nil, errGeneratedCollision("entity name")
		}
		e.Name = cmd.NewName
	}
	e.LastUpdateTime = cmd.Time
	if err := insert(tx, tableEntities, &e); err != nil {
		return nil, err
	}
	return &EntityWrite{Entity: &e, Created: cur == nil}, nil
}

// DeleteEntities deletes entities by ID, or the one named Name. Missing
// entities are skipped, as in Vault. Each leaves the groups it was in and
// takes its aliases with it.
type DeleteEntities struct {
	IDs  []string
	Name string
	Time time.Time
}

func applyDeleteEntities(tx *txn, env Env, cmd *DeleteEntities) (any, error) {
	targets := make([]*Entity, 0, len(cmd.IDs)+1)
	for _, id := range cmd.IDs {
		if e := first[Entity](tx, tableEntities, "id", id); e != nil {
			targets = append(targets, e)
		}
	}
	if cmd.Name != "" {
		if e := first[Entity](tx, tableEntities, "name", cmd.Name); e != nil {
			targets = append(targets, e)
		}
	}
	for _, e := range targets {
		if err := deleteEntity(tx, e); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func deleteEntity(tx *txn, e *Entity) error {
	if first[Entity](tx, tableEntities, "id", e.ID) == nil {
		return nil // listed twice in one batch
	}
	for _, g := range all[IdentityGroup](tx, tableIdentityGroups, "member_entity", e.ID) {
		c := *g
		c.MemberEntityIDs = removeFromList(g.MemberEntityIDs, e.ID)
		c.ModifyIndex++
		if err := insert(tx, tableIdentityGroups, &c); err != nil {
			return err
		}
	}
	for _, a := range all[EntityAlias](tx, tableEntityAliases, "canonical", e.ID) {
		if err := tx.Delete(tableEntityAliases, a); err != nil {
			return err
		}
	}
	if err := deleteTOTPUsage(tx, "entity", e.ID); err != nil {
		return err
	}
	return tx.Delete(tableEntities, e)
}

// without returns list minus every occurrence of s, as a new slice.
func removeFromList(list []string, s string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// UpsertEntityAlias creates or updates an entity alias. With ID it updates
// that alias; otherwise (MountAccessor, Name) selects an existing alias or
// makes a new one, on CanonicalID's entity or on a new entity.
type UpsertEntityAlias struct {
	ID             string
	Name           string
	MountAccessor  string
	CanonicalID    string
	CustomMetadata *StringMap
	NewID          string
	NewEntityID    string
	NewEntityName  string
	Time           time.Time
}

// AliasWrite is the result of an alias upsert; Alias is nil when the
// request changed nothing.
type AliasWrite struct {
	Alias *EntityAlias
}

func applyUpsertEntityAlias(tx *txn, env Env, cmd *UpsertEntityAlias) (any, error) {
	name, accessor := cmd.Name, cmd.MountAccessor
	if cmd.ID != "" {
		a := first[EntityAlias](tx, tableEntityAliases, "id", cmd.ID)
		if a == nil {
			return nil, identityErr("invalid alias ID provided")
		}
		meta := a.CustomMetadata
		if cmd.CustomMetadata != nil {
			meta = *cmd.CustomMetadata
		}
		switch {
		case accessor == "" && name == "":
			if cmd.CanonicalID == "" && cmd.CustomMetadata == nil {
				return &AliasWrite{}, nil
			}
			name, accessor = a.Name, a.MountAccessor
		case accessor == "":
			accessor = a.MountAccessor
		case name == "":
			name = a.Name
		}
		return updateAlias(tx, cmd, a, name, accessor, meta)
	}
	if accessor == "" || name == "" {
		return nil, identityErr("'id' or 'mount_accessor' and 'name' must be provided")
	}
	mount := first[AuthMount](tx, tableAuthMounts, "accessor", accessor)
	if mount == nil {
		return nil, identityErr("invalid mount accessor %q", accessor)
	}
	var meta map[string]string
	if cmd.CustomMetadata != nil {
		meta = *cmd.CustomMetadata
	}
	if a := first[EntityAlias](tx, tableEntityAliases, "factors", accessor, name); a != nil {
		return updateAlias(tx, cmd, a, name, accessor, meta)
	}
	return createAlias(tx, cmd, mount, meta)
}

func createAlias(tx *txn, cmd *UpsertEntityAlias, mount *AuthMount, meta map[string]string) (any, error) {
	var entityID string
	if cmd.CanonicalID != "" {
		if first[Entity](tx, tableEntities, "id", cmd.CanonicalID) == nil {
			return nil, identityErr("invalid canonical ID")
		}
		entityID = cmd.CanonicalID
	} else {
		if first[Entity](tx, tableEntities, "id", cmd.NewEntityID) != nil {
			return nil, errGeneratedCollision("entity ID")
		}
		if first[Entity](tx, tableEntities, "name", cmd.NewEntityName) != nil {
			return nil, errGeneratedCollision("entity name")
		}
		e := &Entity{ID: cmd.NewEntityID, Name: cmd.NewEntityName, CreationTime: cmd.Time, LastUpdateTime: cmd.Time}
		if err := insert(tx, tableEntities, e); err != nil {
			return nil, err
		}
		entityID = e.ID
	}
	if entityHasAliasOn(tx, entityID, mount.Accessor, "") {
		return nil, identityErr("Alias already exists for requested entity and mount accessor")
	}
	if first[EntityAlias](tx, tableEntityAliases, "id", cmd.NewID) != nil {
		return nil, errGeneratedCollision("alias ID")
	}
	a := &EntityAlias{
		ID: cmd.NewID, CanonicalID: entityID, MountAccessor: mount.Accessor, Name: cmd.Name,
		CustomMetadata: meta, Local: mount.Local, CreationTime: cmd.Time, LastUpdateTime: cmd.Time,
	}
	if err := insert(tx, tableEntityAliases, a); err != nil {
		return nil, err
	}
	return &AliasWrite{Alias: a}, nil
}

// entityHasAliasOn reports whether the entity has an alias on the mount,
// other than the alias except.
func entityHasAliasOn(tx *txn, entityID, accessor, except string) bool {
	for _, a := range all[EntityAlias](tx, tableEntityAliases, "canonical", entityID) {
		if a.MountAccessor == accessor && a.ID != except {
			return true
		}
	}
	return false
}

func updateAlias(tx *txn, cmd *UpsertEntityAlias, a *EntityAlias, name, accessor string, meta map[string]string) (any, error) {
	canonical := cmd.CanonicalID
	if name == a.Name && accessor == a.MountAccessor && (canonical == "" || canonical == a.CanonicalID) &&
		sameStringMap(meta, a.CustomMetadata) {
		return &AliasWrite{}, nil
	}
	if first[Entity](tx, tableEntities, "id", a.CanonicalID) == nil {
		return nil, identityErr("given alias is not associated with an entity")
	}
	moving := canonical != "" && canonical != a.CanonicalID
	if accessor != a.MountAccessor && !moving && entityHasAliasOn(tx, a.CanonicalID, accessor, a.ID) {
		return nil, identityErr("Alias cannot be updated as the entity already has an alias for the given 'mount_accessor' ")
	}
	c := *a
	if name != a.Name || accessor != a.MountAccessor || !sameStringMap(meta, a.CustomMetadata) {
		if first[AuthMount](tx, tableAuthMounts, "accessor", accessor) == nil {
			return nil, identityErr("invalid mount accessor %q", accessor)
		}
		if other := first[EntityAlias](tx, tableEntityAliases, "factors", accessor, name); other != nil && other.ID != a.ID {
			return nil, identityErr("alias with combination of mount accessor and name already exists")
		}
		c.Name, c.MountAccessor, c.CustomMetadata = name, accessor, meta
	}
	mount := first[AuthMount](tx, tableAuthMounts, "accessor", c.MountAccessor)
	if mount == nil {
		return nil, iamerr.New(iamerr.Internal, "invalid mount accessor %q", c.MountAccessor)
	}
	if moving {
		if mount.Local {
			return nil, identityErr("local aliases can't be moved between entities")
		}
		if first[Entity](tx, tableEntities, "id", canonical) == nil {
			return nil, identityErr("given 'canonical_id' is not associated with an entity")
		}
		if entityHasAliasOn(tx, canonical, c.MountAccessor, a.ID) {
			return nil, identityErr("Alias cannot be updated as the given entity already has an alias for this mount ")
		}
		c.CanonicalID = canonical
	}
	c.LastUpdateTime = cmd.Time
	if err := insert(tx, tableEntityAliases, &c); err != nil {
		return nil, err
	}
	return &AliasWrite{Alias: &c}, nil
}

func sameStringMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// DeleteEntityAlias deletes an alias; a missing one is not an error.
type DeleteEntityAlias struct {
	ID string
}

func applyDeleteEntityAlias(tx *txn, env Env, cmd *DeleteEntityAlias) (any, error) {
	a := first[EntityAlias](tx, tableEntityAliases, "id", cmd.ID)
	if a == nil {
		return nil, nil
	}
	return nil, tx.Delete(tableEntityAliases, a)
}
