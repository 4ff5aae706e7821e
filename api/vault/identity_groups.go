package vault

import (
	"iamd/fsm"
	"iamd/server"
)

// Vault identity group paths (spec/vault.md §4.3).

func (a *API) identityGroupRoutes() []Route {
	return []Route{
		identityRoute("group", ops{server.OpUpdate: a.writeGroup(selectFromBody)}),
		identityRoute("group/id", ops{server.OpList: a.listGroups(true)}),
		identityRoute("group/id/:id", ops{
			server.OpRead: a.readGroup(selectByID), server.OpUpdate: a.writeGroup(selectByID),
			server.OpDelete: a.deleteGroup(selectByID),
		}),
		identityRoute("group/name", ops{server.OpList: a.listGroups(false)}),
		identityRoute("group/name/*", ops{
			server.OpRead: a.readGroup(selectByName), server.OpUpdate: a.writeGroup(selectByName),
			server.OpDelete: a.deleteGroup(selectByName),
		}),
	}
}

// writeGroup follows Vault's pathGroupRegister: an "id" in the body means
// update by ID, else a "name" means update-or-create by name, else create.
func (a *API) writeGroup(sel selector) Handler {
	return func(r *Request) (*Response, error) {
		f := fieldsOf(r)
		req := server.GroupRequest{
			Type: f.optString("type"), Metadata: f.optMap("metadata"), Policies: f.optStrings("policies"),
			MemberEntityIDs: f.optStrings("member_entity_ids"), MemberGroupIDs: f.optStrings("member_group_ids"),
		}
		id, name := sel.target(r, f)
		if f.err != nil {
			return nil, f.err
		}
		req.Name = name
		switch {
		case sel == selectByID || (sel == selectFromBody && r.Has("id")):
			if id == "" {
				return nil, invalidf("empty group ID")
			}
			req.ID = id
		case sel == selectByName || r.Has("name"):
			if name == "" {
				return nil, invalidf("empty group name")
			}
			req.ByName = true
		}
		w, err := a.node.WriteGroup(r.Context, req)
		if err != nil || !w.Created {
			return nil, err
		}
		return &Response{Data: map[string]any{"id": w.Group.ID, "name": w.Group.Name}}, nil
	}
}

func (a *API) readGroup(sel selector) Handler {
	return func(r *Request) (*Response, error) {
		st := a.node.State()
		g := st.IdentityGroup(r.Param("id"))
		if sel == selectByName {
			g = st.IdentityGroupByName(r.Param("*"))
		}
		if g == nil {
			return nil, nil
		}
		return &Response{Data: groupData(st, g)}, nil
	}
}

func (a *API) deleteGroup(sel selector) Handler {
	return func(r *Request) (*Response, error) {
		if sel == selectByName {
			return nil, a.node.DeleteGroup(r.Context, "", r.Param("*"))
		}
		return nil, a.node.DeleteGroup(r.Context, r.Param("id"), "")
	}
}

// groupData is the read answer for a group; alias is the empty object when
// it has none, as in Vault.
func groupData(st *fsm.State, g *fsm.IdentityGroup) map[string]any {
	alias := map[string]any{}
	if al := st.GroupAliasOf(g.ID); al != nil {
		alias = groupAliasData(st, al)
	}
	return map[string]any{
		"id": g.ID, "name": g.Name, "type": g.Type, "policies": emptyIfNil(g.Policies),
		"member_entity_ids": emptyIfNil(g.MemberEntityIDs), "member_group_ids": emptyIfNil(g.MemberGroupIDs),
		"parent_group_ids": groupIDs(st.IdentityGroupParents(g.ID)), "metadata": g.Metadata,
		"creation_time": timestamp(g.CreationTime), "last_update_time": timestamp(g.LastUpdateTime),
		"modify_index": g.ModifyIndex, "namespace_id": rootNamespace, "alias": alias,
	}
}

// listGroups lists IDs with key_info, or names only (key_info is keyed by
// ID, so Vault drops it from the name list).
func (a *API) listGroups(byID bool) Handler {
	return func(r *Request) (*Response, error) {
		st := a.node.State()
		var keys []string
		var info map[string]any
		if byID {
			info = map[string]any{}
		}
		for _, g := range st.IdentityGroups() {
			if !byID {
				keys = append(keys, g.Name)
				continue
			}
			keys = append(keys, g.ID)
			info[g.ID] = map[string]any{
				"name": g.Name, "num_member_entities": len(g.MemberEntityIDs),
				"num_parent_groups": len(st.IdentityGroupParents(g.ID)),
			}
		}
		return listResponse(keys, info), nil
	}
}
