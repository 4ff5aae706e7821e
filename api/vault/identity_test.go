package vault_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"iamd/api/apitest"
)

func TestEntityCRUDWithVaultClient(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)

	created := idWrite(t, c, "identity/entity", map[string]any{
		"name": "alice", "metadata": map[string]string{"team": "a"}, "policies": []string{"Dev", "dev", "ops"},
	})
	id := created.Data["id"].(string)
	if !idUUIDPattern.MatchString(id) || created.Data["name"] != "alice" {
		t.Fatalf("create answer %v", created.Data)
	}
	if v, ok := created.Data["aliases"]; !ok || v != nil {
		t.Fatalf("create answer must carry aliases: null, got %v", created.Data)
	}
	unnamed := idWrite(t, c, "identity/entity", nil).Data
	if !regexp.MustCompile(`^entity_[0-9a-f]{8}$`).MatchString(unnamed["name"].(string)) {
		t.Fatalf("generated name %v", unnamed["name"])
	}

	e := idRead(t, c, "identity/entity/id/"+id)
	if e["name"] != "alice" || e["metadata"].(map[string]any)["team"] != "a" || e["disabled"] != false ||
		e["namespace_id"] != "root" || len(e["aliases"].([]any)) != 0 || len(e["group_ids"].([]any)) != 0 {
		t.Fatalf("read %v", e)
	}
	if p := e["policies"].([]any); len(p) != 2 || p[0] != "dev" || p[1] != "ops" {
		t.Fatalf("policies are lower-cased and de-duplicated: %v", p)
	}
	if _, err := time.Parse(time.RFC3339Nano, e["creation_time"].(string)); err != nil {
		t.Fatalf("creation_time: %v", err)
	}
	if byName := idRead(t, c, "identity/entity/name/ALICE"); byName["id"] != id {
		t.Fatal("names are case-insensitive")
	}

	// Updates answer 204 and keep what they do not mention.
	if s := idWrite(t, c, "identity/entity/id/"+id, map[string]any{"disabled": true}); s != nil {
		t.Fatalf("update answered %v", s)
	}
	if s := idWrite(t, c, "identity/entity", map[string]any{"name": "alice", "policies": "web"}); s != nil {
		t.Fatalf("write to an existing name answered %v", s)
	}
	e = idRead(t, c, "identity/entity/name/alice")
	if e["disabled"] != true || e["metadata"].(map[string]any)["team"] != "a" || e["policies"].([]any)[0] != "web" {
		t.Fatalf("after updates %v", e)
	}
	if s := idWrite(t, c, "identity/entity/name/bob", map[string]any{"metadata": "k=v"}); s == nil || s.Data["name"] != "bob" {
		t.Fatalf("create by name path: %v", s)
	}

	_, err := c.Logical().Write("identity/entity/name/bob", map[string]any{"id": id})
	idWantError(t, err, 400, "entity name is already in use")
	_, err = c.Logical().Write("identity/entity/id/no-such-id", map[string]any{"name": "x"})
	idWantError(t, err, 400, "entity not found from id")
	_, err = c.Logical().Write("identity/entity", map[string]any{"name": "carol", "policies": []string{"ROOT"}})
	idWantError(t, err, 400, "policies cannot contain root")
	_, err = c.Logical().Write("identity/entity", map[string]any{"metadata": map[string]string{"vault-x": "1"}})
	idWantError(t, err, 400, `invalid entity metadata: failed to load metadata pair ("vault-x", "1"): key prefix "vault-" is reserved for internal use`)

	byID := idListBothWays(t, d, c, "identity/entity/id")
	if keys := idKeys(t, byID); len(keys) != 3 || !slices.Contains(keys, id) {
		t.Fatalf("id list %v", keys)
	}
	if info := byID.Data["key_info"].(map[string]any)[id].(map[string]any); info["name"] != "alice" {
		t.Fatalf("key_info %v", info)
	}
	byName := idListBothWays(t, d, c, "identity/entity/name")
	if keys := idKeys(t, byName); !slices.Contains(keys, "alice") || !slices.Contains(keys, "bob") || byName.Data["key_info"] != nil {
		t.Fatalf("name list %v", byName.Data)
	}

	if s, err := c.Logical().Read("identity/entity/id/no-such-id"); s != nil || err != nil {
		t.Fatalf("missing entity: %v %v", s, err)
	}
	status, _, body := raw(t, "GET", d.URL+"/v1/identity/entity/name/nobody", d.RootToken, "")
	if status != 404 || len(errorsOf(body)) != 0 {
		t.Fatalf("missing entity: %d %v", status, body)
	}

	for _, path := range []string{"identity/entity/name/bob", "identity/entity/name/bob", "identity/entity/id/" + id} {
		if _, err := c.Logical().Delete(path); err != nil {
			t.Fatalf("delete %s: %v", path, err)
		}
	}
	_, err = c.Logical().Write("identity/entity/batch-delete", map[string]any{"entity_ids": []string{}})
	idWantError(t, err, 400, "missing entity ids to delete")
	if s := idWrite(t, c, "identity/entity/batch-delete", map[string]any{"entity_ids": []string{unnamed["id"].(string), "gone"}}); s != nil {
		t.Fatalf("batch delete answered %v", s)
	}
	idWantEmpty(t, d, c, "identity/entity/id")
}

func TestEntityAliasesAndLookup(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	acc := idEnableUserpass(t, c, "userpass")
	other := idCreateEntity(t, c, "other")

	// Without canonical_id the alias gets a new entity.
	a := idWrite(t, c, "identity/entity-alias", map[string]any{"name": "bob", "mount_accessor": acc}).Data
	aliasID, entityID := a["id"].(string), a["canonical_id"].(string)
	if !idUUIDPattern.MatchString(aliasID) || entityID == other {
		t.Fatalf("alias create %v", a)
	}
	al := idRead(t, c, "identity/entity-alias/id/"+aliasID)
	if al["mount_type"] != "userpass" || al["mount_path"] != "auth/userpass/" || al["name"] != "bob" || al["canonical_id"] != entityID {
		t.Fatalf("alias read %v", al)
	}
	e := idRead(t, c, "identity/entity/id/"+entityID)
	if aliases := e["aliases"].([]any); len(aliases) != 1 || aliases[0].(map[string]any)["id"] != aliasID {
		t.Fatalf("entity aliases %v", e["aliases"])
	}

	_, err := c.Logical().Write("identity/entity-alias", map[string]any{"name": "bob2", "mount_accessor": acc, "canonical_id": entityID})
	idWantError(t, err, 400, "Alias already exists for requested entity and mount accessor")
	_, err = c.Logical().Write("identity/entity-alias", map[string]any{"name": "x", "mount_accessor": "auth_nope_1"})
	idWantError(t, err, 400, `invalid mount accessor "auth_nope_1"`)
	_, err = c.Logical().Write("identity/entity-alias", map[string]any{"name": "x"})
	idWantError(t, err, 400, "'id' or 'mount_accessor' and 'name' must be provided")
	_, err = c.Logical().Write("identity/entity-alias/id/no-such", map[string]any{"name": "x"})
	idWantError(t, err, 400, "invalid alias ID provided")

	// The same (mount, name) selects the alias: here it moves to "other".
	moved := idWrite(t, c, "identity/entity-alias", map[string]any{"name": "bob", "mount_accessor": acc, "canonical_id": other}).Data
	if moved["id"] != aliasID || moved["canonical_id"] != other {
		t.Fatalf("move %v", moved)
	}
	if s := idWrite(t, c, "identity/entity-alias/id/"+aliasID, map[string]any{"canonical_id": other}); s != nil {
		t.Fatalf("no-op update answered %v", s)
	}

	found := idWrite(t, c, "identity/lookup/entity", map[string]any{"alias_name": "bob", "alias_mount_accessor": acc})
	if found == nil || found.Data["id"] != other {
		t.Fatalf("lookup by alias: %v", found)
	}
	if s := idWrite(t, c, "identity/lookup/entity", map[string]any{"name": "nobody"}); s != nil {
		t.Fatalf("lookup miss answered %v", s)
	}
	_, err = c.Logical().Write("identity/lookup/entity", nil)
	idWantError(t, err, 400, "query parameter not supplied")
	_, err = c.Logical().Write("identity/lookup/entity", map[string]any{"name": "a", "id": "b"})
	idWantError(t, err, 400, "query parameter conflict; please supply distinct set of query parameters")
	_, err = c.Logical().Write("identity/lookup/entity", map[string]any{"alias_name": "bob"})
	idWantError(t, err, 400, "both 'alias_name' and 'alias_mount_accessor' needs to be set")

	list := idListBothWays(t, d, c, "identity/entity-alias/id")
	if keys := idKeys(t, list); len(keys) != 1 || keys[0] != aliasID {
		t.Fatalf("alias list %v", keys)
	}
	if info := list.Data["key_info"].(map[string]any)[aliasID].(map[string]any); info["mount_type"] != "userpass" || info["name"] != "bob" {
		t.Fatalf("alias key_info %v", info)
	}
	// Disabling the mount deletes its aliases.
	if err := c.Sys().DisableAuth("userpass"); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Logical().Read("identity/entity-alias/id/" + aliasID); s != nil {
		t.Fatal("alias outlived its mount")
	}
	if _, err := c.Logical().Delete("identity/entity-alias/id/" + aliasID); err != nil {
		t.Fatalf("deleting a missing alias: %v", err)
	}
}

func TestGroupsMembershipAndCycles(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	alice := idCreateEntity(t, c, "alice")
	devs := idWrite(t, c, "identity/group", map[string]any{"name": "devs", "member_entity_ids": []string{alice}, "policies": "A,b"}).Data
	devsID := devs["id"].(string)
	eng := idWrite(t, c, "identity/group", map[string]any{"name": "eng", "member_group_ids": []string{devsID}}).Data
	engID := eng["id"].(string)
	if unnamed := idWrite(t, c, "identity/group", nil).Data; !regexp.MustCompile(`^group_[0-9a-f]{8}$`).MatchString(unnamed["name"].(string)) {
		t.Fatalf("generated group name %v", unnamed)
	}

	g := idRead(t, c, "identity/group/id/"+devsID)
	if g["type"] != "internal" || g["parent_group_ids"].([]any)[0] != engID || g["policies"].([]any)[0] != "a" ||
		g["member_entity_ids"].([]any)[0] != alice || g["modify_index"].(json.Number).String() != "1" {
		t.Fatalf("group read %v", g)
	}
	e := idRead(t, c, "identity/entity/id/"+alice)
	if e["direct_group_ids"].([]any)[0] != devsID || e["inherited_group_ids"].([]any)[0] != engID || len(e["group_ids"].([]any)) != 2 {
		t.Fatalf("entity groups %v", e)
	}

	_, err := c.Logical().Write("identity/group/id/"+devsID, map[string]any{"member_group_ids": []string{engID}})
	idWantError(t, err, 400, `cyclic relationship detected for member group ID "`+engID+`"`)
	_, err = c.Logical().Write("identity/group/name/eng", map[string]any{"member_group_ids": []string{engID}})
	idWantError(t, err, 400, `member group ID "`+engID+`" is same as the ID of the group`)
	_, err = c.Logical().Write("identity/group", map[string]any{"name": "x", "member_entity_ids": []string{"nope"}})
	idWantError(t, err, 400, `invalid entity ID "nope"`)
	_, err = c.Logical().Write("identity/group", map[string]any{"name": "ext", "type": "external", "member_entity_ids": []string{alice}})
	idWantError(t, err, 400, "member entities can't be set manually for external groups")
	_, err = c.Logical().Write("identity/group/id/"+devsID, map[string]any{"type": "external"})
	idWantError(t, err, 400, "group type cannot be changed")
	_, err = c.Logical().Write("identity/group", map[string]any{"type": "weird"})
	idWantError(t, err, 400, `invalid group type "weird"`)
	_, err = c.Logical().Write("identity/group/id/"+devsID, map[string]any{"name": "ENG"})
	idWantError(t, err, 400, "group name is already in use")
	_, err = c.Logical().Write("identity/group", map[string]any{"id": "nope"})
	idWantError(t, err, 400, "invalid group ID")
	_, err = c.Logical().Write("identity/group", map[string]any{"policies": []string{"root"}})
	idWantError(t, err, 400, "policies cannot contain root")

	if s := idWrite(t, c, "identity/group", map[string]any{"name": "devs", "metadata": map[string]string{"k": "v"}}); s != nil {
		t.Fatalf("write to an existing group name answered %v", s)
	}
	list := idListBothWays(t, d, c, "identity/group/id")
	if info := list.Data["key_info"].(map[string]any)[devsID].(map[string]any); info["name"] != "devs" ||
		info["num_member_entities"].(json.Number).String() != "1" || info["num_parent_groups"].(json.Number).String() != "1" {
		t.Fatalf("group key_info %v", info)
	}
	if names := idKeys(t, idListBothWays(t, d, c, "identity/group/name")); !slices.Contains(names, "devs") || !slices.Contains(names, "eng") {
		t.Fatalf("group names %v", names)
	}

	// Deleting members updates the groups that held them.
	if _, err := c.Logical().Delete("identity/group/name/DEVS"); err != nil {
		t.Fatal(err)
	}
	if g := idRead(t, c, "identity/group/id/"+engID); len(g["member_group_ids"].([]any)) != 0 {
		t.Fatalf("eng still lists a deleted group: %v", g)
	}
	if s, err := c.Logical().Read("identity/group/id/" + devsID); s != nil || err != nil {
		t.Fatalf("deleted group: %v %v", s, err)
	}
}

// Twenty clients write the same entity name at once: the FSM creates it
// once; the others update it. Twenty renames to one name: one wins.
func TestConcurrentEntityNamesOneWins(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	created := make([]bool, 20)
	errs := idRace(20, func(i int) error {
		s, err := c.Logical().Write("identity/entity", map[string]any{"name": "same"})
		created[i] = s != nil // 200 with data for a create, 204 for an update
		return err
	})
	creates := 0
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if created[i] {
			creates++
		}
	}
	if creates != 1 {
		t.Fatalf("%d writes created the entity, want 1", creates)
	}
	if len(idKeys(t, idListBothWays(t, d, c, "identity/entity/name"))) != 1 {
		t.Fatal("more than one entity named same")
	}

	ids := make([]string, 20)
	for i := range ids {
		ids[i] = idCreateEntity(t, c, "e"+strings.Repeat("x", i+1))
	}
	errs = idRace(20, func(i int) error {
		_, err := c.Logical().Write("identity/entity/id/"+ids[i], map[string]any{"name": "target"})
		return err
	})
	if wins := idWins(errs, func(err error) { idWantError(t, err, 400, "entity name is already in use") }); wins != 1 {
		t.Fatalf("%d renames won, want 1", wins)
	}
}

func TestIdentityBadInputLeavesStateUnchanged(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	id := idCreateEntity(t, c, "alice")
	idWrite(t, c, "identity/group", map[string]any{"name": "devs", "member_entity_ids": []string{id}})
	huge := `["` + strings.Repeat(`p","`, 10000) + `p"]`
	idRejectAll(t, d, []idCase{
		{"identity/entity", `{"name":`, "error parsing JSON"},
		{"identity/entity/id/" + id, `{"policies":{"a":1}}`, `field "policies"`},
		{"identity/entity/id/" + id, `{"disabled":"maybe"}`, `field "disabled"`},
		{"identity/entity/id/" + id, `{"metadata":[1]}`, `field "metadata"`},
		{"identity/entity/id/" + id, `{"policies":` + huge + `}`, `too many entries in "policies": 10001`},
		{"identity/group/name/devs", `{"member_entity_ids":` + huge + `}`, `too many entries in "member_entity_ids"`},
		{"identity/group/name/devs", `{"member_group_ids":["nope"]}`, `invalid member group ID "nope"`},
		{"identity/entity-alias", `{"name":["a"]}`, `field "name"`},
		{"identity/entity/batch-delete", `{"entity_ids":` + huge + `}`, `too many entries in "entity_ids"`},
	}, true)
	if e := idRead(t, c, "identity/entity/id/"+id); e["name"] != "alice" {
		t.Fatalf("entity after bad input %v", e)
	}
}
