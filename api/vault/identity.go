package vault

import (
	"iamd/fsm"
	"iamd/server"
)

// Vault identity paths (spec/vault.md §4): entities, entity aliases and the
// entity lookup. Groups are in identity_groups.go. Names may contain "/",
// as Vault's (?P<name>.+) allows, so name routes end in a wildcard.

const identityMount = "identity"

func identityRoute(pattern string, o ops) Route {
	return Route{Pattern: "identity/" + pattern, Ops: o, MountType: identityMount}
}

func (a *API) identityRoutes() []Route {
	return []Route{
		identityRoute("entity", ops{server.OpUpdate: a.writeEntity(selectFromBody)}),
		identityRoute("entity/id", ops{server.OpList: a.listEntities(true)}),
		identityRoute("entity/id/:id", ops{
			server.OpRead: a.readEntity(selectByID), server.OpUpdate: a.writeEntity(selectByID),
			server.OpDelete: a.deleteEntity(selectByID),
		}),
		identityRoute("entity/name", ops{server.OpList: a.listEntities(false)}),
		identityRoute("entity/name/*", ops{
			server.OpRead: a.readEntity(selectByName), server.OpUpdate: a.writeEntity(selectByName),
			server.OpDelete: a.deleteEntity(selectByName),
		}),
		identityRoute("entity/batch-delete", ops{server.OpUpdate: a.batchDeleteEntities}),
		identityRoute("entity/merge", ops{server.OpUpdate: a.mergeEntities}),
		identityRoute("lookup/entity", ops{server.OpUpdate: a.lookupEntity}),
		identityRoute("entity-alias", ops{server.OpUpdate: a.writeAlias}),
		identityRoute("entity-alias/id", ops{server.OpList: a.listAliases}),
		identityRoute("entity-alias/id/:id", ops{
			server.OpRead: a.readAlias, server.OpUpdate: a.writeAlias, server.OpDelete: a.deleteAlias,
		}),
	}
}

// selector says where a path names its object: in the body (id, name), in
// the :id segment or in the trailing name.
type selector int

const (
	selectFromBody selector = iota
	selectByID
	selectByName
)

// target returns the id and name a request addresses; path segments win
// over body fields, as in Vault's framework.
func (s selector) target(r *Request, f *fieldReader) (id, name string) {
	id, name = f.str("id", ""), f.str("name", "")
	switch s {
	case selectByID:
		id = r.Param("id")
	case selectByName:
		name = r.Param("*")
	}
	return id, name
}

func (a *API) writeEntity(sel selector) Handler {
	return func(r *Request) (*Response, error) {
		f := fieldsOf(r)
		req := server.EntityRequest{
			Metadata: f.optMap("metadata"), Policies: f.optStrings("policies"), Disabled: f.optBool("disabled"),
		}
		req.ID, req.Name = sel.target(r, f)
		if f.err != nil {
			return nil, f.err
		}
		w, err := a.node.WriteEntity(r.Context, req)
		if err != nil || !w.Created {
			return nil, err // an update answers 204
		}
		return &Response{Data: map[string]any{"id": w.Entity.ID, "name": w.Entity.Name, "aliases": nil}}, nil
	}
}

func (a *API) entityFor(sel selector, r *Request) (*fsm.State, *fsm.Entity) {
	st := a.node.State()
	if sel == selectByName {
		return st, st.EntityByName(r.Param("*"))
	}
	return st, st.Entity(r.Param("id"))
}

func (a *API) readEntity(sel selector) Handler {
	return func(r *Request) (*Response, error) {
		st, e := a.entityFor(sel, r)
		if e == nil {
			return nil, nil
		}
		return &Response{Data: entityData(st, e)}, nil
	}
}

func (a *API) deleteEntity(sel selector) Handler {
	return func(r *Request) (*Response, error) {
		if sel == selectByName {
			return nil, a.node.DeleteEntityByName(r.Context, r.Param("*"))
		}
		return nil, a.node.DeleteEntity(r.Context, r.Param("id"))
	}
}

func (a *API) batchDeleteEntities(r *Request) (*Response, error) {
	ids, err := r.StringSlice("entity_ids")
	if err != nil {
		return nil, err
	}
	return nil, a.node.BatchDeleteEntities(r.Context, ids)
}

func groupIDs(groups []*fsm.IdentityGroup) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.ID)
	}
	return out
}

// entityData is the read answer for an entity (spec/vault.md §4.1).
func entityData(st *fsm.State, e *fsm.Entity) map[string]any {
	aliases := []any{}
	for _, al := range st.EntityAliases(e.ID) {
		aliases = append(aliases, aliasData(st, al))
	}
	direct, inherited := st.EntityGroups(e.ID)
	directIDs, inheritedIDs := groupIDs(direct), groupIDs(inherited)
	return map[string]any{
		"id": e.ID, "name": e.Name, "metadata": e.Metadata, "policies": emptyIfNil(e.Policies),
		"disabled": e.Disabled, "namespace_id": rootNamespace,
		"creation_time": timestamp(e.CreationTime), "last_update_time": timestamp(e.LastUpdateTime),
		"merged_entity_ids": e.MergedEntityIDs, "aliases": aliases,
		"direct_group_ids": directIDs, "inherited_group_ids": inheritedIDs,
		"group_ids":       append(append([]string{}, directIDs...), inheritedIDs...),
		"bucket_key_hash": "",
	}
}

// addMountInfo adds mount_type and mount_path when the alias's mount
// exists, as Vault does.
func addMountInfo(st *fsm.State, accessor string, into map[string]any) map[string]any {
	if m := st.AuthMountByAccessor(accessor); m != nil {
		into["mount_type"], into["mount_path"] = m.Type, "auth/"+m.Path
	}
	return into
}

// aliasData is the read answer for an alias, also used inside entities.
func aliasData(st *fsm.State, al *fsm.EntityAlias) map[string]any {
	return addMountInfo(st, al.MountAccessor, map[string]any{
		"id": al.ID, "canonical_id": al.CanonicalID, "mount_accessor": al.MountAccessor, "name": al.Name,
		"metadata": al.Metadata, "custom_metadata": al.CustomMetadata, "merged_from_canonical_ids": al.MergedFromCanonicalIDs,
		"namespace_id": rootNamespace, "local": al.Local,
		"creation_time": timestamp(al.CreationTime), "last_update_time": timestamp(al.LastUpdateTime),
	})
}

// listEntities lists IDs with key_info (name and aliases), or names only:
// Vault's key_info is keyed by ID, so a name list drops it.
func (a *API) listEntities(byID bool) Handler {
	return func(r *Request) (*Response, error) {
		st := a.node.State()
		var keys []string
		info := map[string]any{}
		for _, e := range st.Entities() {
			if !byID {
				keys = append(keys, e.Name)
				continue
			}
			keys = append(keys, e.ID)
			entry := map[string]any{"name": e.Name}
			var aliases []any
			for _, al := range st.EntityAliases(e.ID) {
				aliases = append(aliases, addMountInfo(st, al.MountAccessor, map[string]any{
					"id": al.ID, "name": al.Name, "mount_accessor": al.MountAccessor,
				}))
			}
			if len(aliases) > 0 {
				entry["aliases"] = aliases
			}
			info[e.ID] = entry
		}
		if !byID {
			info = nil
		}
		return listResponse(keys, info), nil
	}
}

// lookupEntity is identity/lookup/entity: exactly one of id, name,
// alias_id, or alias_name with alias_mount_accessor. No match answers 204,
// as Vault's nil update response does.
func (a *API) lookupEntity(r *Request) (*Response, error) {
	f := fieldsOf(r)
	given := 0
	for _, k := range []string{"id", "name", "alias_id", "alias_name", "alias_mount_accessor"} {
		if r.Has(k) {
			given++
		}
	}
	id, name, aliasID := f.str("id", ""), f.str("name", ""), f.str("alias_id", "")
	aliasName, aliasAccessor := f.str("alias_name", ""), f.str("alias_mount_accessor", "")
	if f.err != nil {
		return nil, f.err
	}
	switch {
	case given == 0:
		return nil, invalidf("query parameter not supplied")
	case given == 2 && aliasName != "" && aliasAccessor != "":
	case given != 1:
		return nil, invalidf("query parameter conflict; please supply distinct set of query parameters")
	case aliasName != "" || aliasAccessor != "":
		return nil, invalidf("both 'alias_name' and 'alias_mount_accessor' needs to be set")
	}
	st := a.node.State()
	var e *fsm.Entity
	var al *fsm.EntityAlias
	switch {
	case id != "":
		e = st.Entity(id)
	case name != "":
		e = st.EntityByName(name)
	case aliasID != "":
		al = st.EntityAlias(aliasID)
	case aliasName != "":
		al = st.EntityAliasByFactors(aliasAccessor, aliasName)
	}
	if al != nil {
		e = st.Entity(al.CanonicalID)
	}
	if e == nil {
		return nil, nil
	}
	return &Response{Data: entityData(st, e)}, nil
}

func (a *API) writeAlias(r *Request) (*Response, error) {
	f := fieldsOf(r)
	req := server.EntityAliasRequest{
		ID: f.str("id", ""), Name: f.str("name", ""), MountAccessor: f.str("mount_accessor", ""),
		CanonicalID: f.str("canonical_id", ""), CustomMetadata: f.optMap("custom_metadata"),
	}
	if req.CanonicalID == "" {
		req.CanonicalID = f.str("entity_id", "") // the deprecated name
	}
	if id := r.Param("id"); id != "" {
		req.ID = id
	}
	if f.err != nil {
		return nil, f.err
	}
	w, err := a.node.WriteEntityAlias(r.Context, req)
	if err != nil || w.Alias == nil {
		return nil, err
	}
	return &Response{Data: map[string]any{"id": w.Alias.ID, "canonical_id": w.Alias.CanonicalID}}, nil
}

func (a *API) readAlias(r *Request) (*Response, error) {
	st := a.node.State()
	al := st.EntityAlias(r.Param("id"))
	if al == nil {
		return nil, nil
	}
	return &Response{Data: aliasData(st, al)}, nil
}

func (a *API) deleteAlias(r *Request) (*Response, error) {
	return nil, a.node.DeleteEntityAlias(r.Context, r.Param("id"))
}

func (a *API) listAliases(r *Request) (*Response, error) {
	st := a.node.State()
	var keys []string
	info := map[string]any{}
	for _, al := range st.AllEntityAliases() {
		keys = append(keys, al.ID)
		info[al.ID] = addMountInfo(st, al.MountAccessor, map[string]any{
			"name": al.Name, "canonical_id": al.CanonicalID, "mount_accessor": al.MountAccessor,
			"custom_metadata": al.CustomMetadata, "local": al.Local,
		})
	}
	return listResponse(keys, info), nil
}
