package vault

import (
	"iamd/fsm"
	"iamd/server"
)

// Vault identity group alias paths (spec/vault.md §4.3): the names external
// groups have on auth mounts.

func (a *API) groupAliasRoutes() []Route {
	return []Route{
		identityRoute("group-alias", ops{server.OpUpdate: a.writeGroupAlias(selectFromBody)}),
		identityRoute("group-alias/id", ops{server.OpList: a.listGroupAliases}),
		identityRoute("group-alias/id/:id", ops{
			server.OpRead: a.readGroupAlias, server.OpUpdate: a.writeGroupAlias(selectByID),
			server.OpDelete: a.deleteGroupAlias,
		}),
	}
}

// writeGroupAlias follows Vault's pathGroupAliasRegister: an "id" (in the
// body or the path) updates that alias, else a new one is made.
func (a *API) writeGroupAlias(sel selector) Handler {
	return func(r *Request) (*Response, error) {
		f := fieldsOf(r)
		req := server.GroupAliasRequest{Name: f.str("name", ""), MountAccessor: f.str("mount_accessor", ""),
			CanonicalID: f.str("canonical_id", "")}
		id, _ := sel.target(r, f)
		if f.err != nil {
			return nil, f.err
		}
		if sel == selectByID || r.Has("id") {
			if id == "" {
				return nil, invalidf("empty group alias ID")
			}
			req.ID = id
		}
		w, err := a.node.WriteGroupAlias(r.Context, req)
		if err != nil || w.Alias == nil {
			return nil, err
		}
		return &Response{Data: map[string]any{"id": w.Alias.ID, "canonical_id": w.Alias.CanonicalID}}, nil
	}
}

func (a *API) readGroupAlias(r *Request) (*Response, error) {
	st := a.node.State()
	al := st.GroupAlias(r.Param("id"))
	if al == nil {
		return nil, nil
	}
	return &Response{Data: groupAliasData(st, al)}, nil
}

func (a *API) deleteGroupAlias(r *Request) (*Response, error) {
	return nil, a.node.DeleteGroupAlias(r.Context, r.Param("id"))
}

func (a *API) listGroupAliases(r *Request) (*Response, error) {
	st := a.node.State()
	var keys []string
	info := map[string]any{}
	for _, al := range st.GroupAliases() {
		keys = append(keys, al.ID)
		info[al.ID] = addMountInfo(st, al.MountAccessor, map[string]any{
			"canonical_id": al.CanonicalID, "mount_accessor": al.MountAccessor, "name": al.Name,
		})
	}
	return listResponse(keys, info), nil
}

// groupAliasData is the read answer for a group alias, also shown as a
// group's "alias".
func groupAliasData(st *fsm.State, al *fsm.GroupAlias) map[string]any {
	return addMountInfo(st, al.MountAccessor, map[string]any{
		"id": al.ID, "canonical_id": al.CanonicalID, "mount_accessor": al.MountAccessor, "name": al.Name,
		"metadata": nil, "custom_metadata": nil, "merged_from_canonical_ids": nil,
		"namespace_id": rootNamespace, "local": false,
		"creation_time": timestamp(al.CreationTime), "last_update_time": timestamp(al.LastUpdateTime),
	})
}
