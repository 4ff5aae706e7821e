package server

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"iamd/fsm"
	"iamd/iamerr"
)

// Vault identity operations (spec/vault.md §4). The server validates what
// needs no state (metadata, list sizes), draws IDs, generated names and the
// time, and proposes one command; the FSM decides everything that depends
// on stored objects (name and alias uniqueness, references, cycles).

// MaxIdentityList bounds every list field of identity and login MFA
// objects (policies, members, enforcement targets). Vault has no bound; one
// is needed so a single request cannot bloat every replica's state.
const MaxIdentityList = 10000

// Vault's metadata rules (vault/identity_store.go, identity_store_util.go).
const (
	metaMaxPairs       = 64
	metaKeyMaxLength   = 128
	metaValueMaxLength = 512
	metaReservedPrefix = "vault-"
)

var metaKeyFormat = regexp.MustCompile(`^[a-zA-Z0-9=/+_-]+$`)

func sortedMetaKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validateMetadata applies Vault's entity and group metadata rules; kind
// names the object in the message ("entity", "group").
func validateMetadata(kind string, meta *map[string]string) error {
	if meta == nil {
		return nil
	}
	fail := func(format string, args ...any) error {
		return iamerr.New(iamerr.Invalid, "invalid %s metadata: %s", kind, fmt.Sprintf(format, args...))
	}
	if len(*meta) > metaMaxPairs {
		return fail("metadata cannot contain more than %d key/value pairs", metaMaxPairs)
	}
	for _, k := range sortedMetaKeys(*meta) {
		v := (*meta)[k]
		var reason string
		switch {
		case k == "":
			reason = "key cannot be blank"
		case !metaKeyFormat.MatchString(k):
			reason = "key contains invalid characters"
		case len(k) > metaKeyMaxLength:
			reason = fmt.Sprintf("key is too long (limit: %d characters)", metaKeyMaxLength)
		case strings.HasPrefix(k, metaReservedPrefix):
			reason = fmt.Sprintf("key prefix %q is reserved for internal use", metaReservedPrefix)
		case len(v) > metaValueMaxLength:
			reason = fmt.Sprintf("value is too long (limit: %d characters)", metaValueMaxLength)
		default:
			continue
		}
		return fail("failed to load metadata pair (%q, %q): %s", k, v, reason)
	}
	return nil
}

// validateCustomMetadata applies Vault's alias custom_metadata rules
// (sdk/helper/custommetadata), reporting the first broken rule.
func validateCustomMetadata(meta *map[string]string) error {
	if meta == nil {
		return nil
	}
	const prefix = "custom_metadata validation failed"
	if n := len(*meta); n > metaMaxPairs {
		return iamerr.New(iamerr.Invalid, "%s: payload must contain at most %d keys, provided %d", prefix, metaMaxPairs, n)
	}
	for _, k := range sortedMetaKeys(*meta) {
		v := (*meta)[k]
		switch {
		case len(k) == 0 || len(k) > metaKeyMaxLength:
			return iamerr.New(iamerr.Invalid, "%s: length of key %q is %d but must be 0 < len(key) <= %d", prefix, k, len(k), metaKeyMaxLength)
		case len(v) == 0 || len(v) > metaValueMaxLength:
			return iamerr.New(iamerr.Invalid, "%s: length of value %q is %d but must be 0 < len(value) <= %d", prefix, v, len(v), metaValueMaxLength)
		case !metaPrintable(k):
			return iamerr.New(iamerr.Invalid, "%s: key %q (%s) contains unprintable characters", prefix, k, k)
		case !metaPrintable(v):
			return iamerr.New(iamerr.Invalid, "%s: value %q (%s) contains unprintable characters", prefix, v, v)
		}
	}
	return nil
}

func metaPrintable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// checkIdentityList refuses a list field longer than MaxIdentityList.
func checkIdentityList(field string, list *[]string) error {
	if list != nil && len(*list) > MaxIdentityList {
		return iamerr.New(iamerr.Invalid, "too many entries in %q: %d (at most %d)", field, len(*list), MaxIdentityList)
	}
	return nil
}

// checkIdentityLists applies checkIdentityList to (name, list) pairs in order.
func checkIdentityLists(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := checkIdentityList(pairs[i].(string), pairs[i+1].(*[]string)); err != nil {
			return err
		}
	}
	return nil
}

// dedupeIDs removes repeated and empty entries, keeping the first occurrence.
func dedupeIDs(list *[]string) *[]string {
	if list == nil {
		return nil
	}
	seen := make(map[string]bool, len(*list))
	out := make([]string, 0, len(*list))
	for _, s := range *list {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return &out
}

// normalizedPolicies lower-cases, trims and de-duplicates a policy list.
func normalizedPolicies(list *[]string) *[]string {
	if list == nil {
		return nil
	}
	out := normalizePolicies(*list)
	if out == nil {
		out = []string{}
	}
	return &out
}

// applyDrawn proposes the command build returns and, when the FSM refuses
// an ID or name the proposer drew at random because it is taken, draws
// again (build is called once per attempt).
func applyDrawn[T any](ctx context.Context, n *Node, t fsm.CommandType, build func() any) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := applyAs[T](ctx, n, t, build())
		if err == nil || iamerr.As(err).Code != "retry" || attempt == 3 {
			return v, err
		}
	}
}

// EntityRequest is the input of an entity write. ID selects an existing
// entity; otherwise an existing Name selects that entity, and a new entity
// is created when neither matches. Nil fields keep their value.
type EntityRequest struct {
	ID       string
	Name     string
	Metadata *map[string]string
	Policies *[]string
	Disabled *bool
}

// WriteEntity creates or updates an entity.
func (n *Node) WriteEntity(ctx context.Context, req EntityRequest) (*fsm.EntityWrite, error) {
	if err := checkIdentityList("policies", req.Policies); err != nil {
		return nil, err
	}
	if err := validateMetadata("entity", req.Metadata); err != nil {
		return nil, err
	}
	policies := normalizedPolicies(req.Policies)
	now := n.now().UTC()
	return applyDrawn[*fsm.EntityWrite](ctx, n, fsm.CmdUpsertEntity, func() any {
		return fsm.UpsertEntity{
			ID: req.ID, Name: req.Name, NewID: newUUID(), NewName: "entity_" + newHex8(),
			Metadata: (*fsm.StringMap)(req.Metadata), Policies: policies, Disabled: req.Disabled, Time: now,
		}
	})
}

// DeleteEntity deletes the entity with the given ID; a missing one is not
// an error.
func (n *Node) DeleteEntity(ctx context.Context, id string) error {
	_, err := n.apply(ctx, fsm.CmdDeleteEntities, fsm.DeleteEntities{IDs: []string{id}, Time: n.now().UTC()})
	return err
}

// DeleteEntityByName deletes the entity with the given name, if any.
func (n *Node) DeleteEntityByName(ctx context.Context, name string) error {
	_, err := n.apply(ctx, fsm.CmdDeleteEntities, fsm.DeleteEntities{Name: name, Time: n.now().UTC()})
	return err
}

// BatchDeleteEntities deletes several entities in one command.
func (n *Node) BatchDeleteEntities(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return iamerr.New(iamerr.Invalid, "missing entity ids to delete")
	}
	if err := checkIdentityList("entity_ids", &ids); err != nil {
		return err
	}
	_, err := n.apply(ctx, fsm.CmdDeleteEntities, fsm.DeleteEntities{IDs: ids, Time: n.now().UTC()})
	return err
}

// EntityAliasRequest is the input of an entity alias write.
type EntityAliasRequest struct {
	ID             string
	Name           string
	MountAccessor  string
	CanonicalID    string
	CustomMetadata *map[string]string
}

// WriteEntityAlias creates or updates an alias. The result's Alias is nil
// when nothing changed.
func (n *Node) WriteEntityAlias(ctx context.Context, req EntityAliasRequest) (*fsm.AliasWrite, error) {
	if err := validateCustomMetadata(req.CustomMetadata); err != nil {
		return nil, err
	}
	now := n.now().UTC()
	return applyDrawn[*fsm.AliasWrite](ctx, n, fsm.CmdUpsertEntityAlias, func() any {
		return fsm.UpsertEntityAlias{
			ID: req.ID, Name: req.Name, MountAccessor: req.MountAccessor, CanonicalID: req.CanonicalID,
			CustomMetadata: (*fsm.StringMap)(req.CustomMetadata), NewID: newUUID(), NewEntityID: newUUID(),
			NewEntityName: "entity_" + newHex8(), Time: now,
		}
	})
}

// DeleteEntityAlias deletes an alias; a missing one is not an error.
func (n *Node) DeleteEntityAlias(ctx context.Context, id string) error {
	_, err := n.apply(ctx, fsm.CmdDeleteEntityAlias, fsm.DeleteEntityAlias{ID: id})
	return err
}

// GroupRequest is the input of a group write: ID selects an existing group,
// ByName the group called Name (created if missing), neither a new group.
type GroupRequest struct {
	ID              string
	ByName          bool
	Name            string
	Type            *string
	Metadata        *map[string]string
	Policies        *[]string
	MemberEntityIDs *[]string
	MemberGroupIDs  *[]string
}

// WriteGroup creates or updates an identity group.
func (n *Node) WriteGroup(ctx context.Context, req GroupRequest) (*fsm.IdentityGroupWrite, error) {
	if err := checkIdentityLists("policies", req.Policies, "member_entity_ids", req.MemberEntityIDs,
		"member_group_ids", req.MemberGroupIDs); err != nil {
		return nil, err
	}
	if err := validateMetadata("group", req.Metadata); err != nil {
		return nil, err
	}
	policies := normalizedPolicies(req.Policies)
	entities, groups := dedupeIDs(req.MemberEntityIDs), dedupeIDs(req.MemberGroupIDs)
	now := n.now().UTC()
	return applyDrawn[*fsm.IdentityGroupWrite](ctx, n, fsm.CmdUpsertIdentityGroup, func() any {
		return fsm.UpsertIdentityGroup{
			ID: req.ID, ByName: req.ByName, Name: req.Name, NewID: newUUID(), NewName: "group_" + newHex8(),
			Type: req.Type, Metadata: (*fsm.StringMap)(req.Metadata), Policies: policies,
			MemberEntityIDs: entities, MemberGroupIDs: groups, Time: now,
		}
	})
}

// DeleteGroup deletes a group by ID or, when id is "", by name.
func (n *Node) DeleteGroup(ctx context.Context, id, name string) error {
	_, err := n.apply(ctx, fsm.CmdDeleteIdentityGroup, fsm.DeleteIdentityGroup{ID: id, Name: name})
	return err
}

// GroupAliasRequest is identity/group-alias's input; ID selects the alias
// to update.
type GroupAliasRequest struct {
	ID, Name, MountAccessor, CanonicalID string
}

// WriteGroupAlias creates or updates an external group's alias.
func (n *Node) WriteGroupAlias(ctx context.Context, req GroupAliasRequest) (*fsm.GroupAliasWrite, error) {
	now := n.now().UTC()
	return applyDrawn[*fsm.GroupAliasWrite](ctx, n, fsm.CmdUpsertGroupAlias, func() any {
		return fsm.UpsertGroupAlias{
			ID: req.ID, Name: req.Name, MountAccessor: req.MountAccessor, CanonicalID: req.CanonicalID,
			NewID: newUUID(), NewGroupID: newUUID(), NewGroupName: "group_" + newHex8(), Time: now,
		}
	})
}

// DeleteGroupAlias deletes a group alias by ID.
func (n *Node) DeleteGroupAlias(ctx context.Context, id string) error {
	_, err := n.apply(ctx, fsm.CmdDeleteGroupAlias, fsm.DeleteGroupAlias{ID: id})
	return err
}
