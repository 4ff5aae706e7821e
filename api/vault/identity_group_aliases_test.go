package vault_test

import (
	"net/http"
	"testing"

	"iamd/api/apitest"
)

func TestGroupAliases(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	acc := idEnableUserpass(t, c, "userpass")
	ext := idWrite(t, c, "identity/group", map[string]any{"name": "ops", "type": "external"}).Data["id"].(string)
	internal := idWrite(t, c, "identity/group", map[string]any{"name": "devs"}).Data["id"].(string)

	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"mount_accessor": acc}, "missing alias name"},
		{map[string]any{"name": "ops-ldap"}, "missing mount_accessor"},
		{map[string]any{"name": "x", "mount_accessor": acc, "canonical_id": "nope"}, "invalid group ID given in 'canonical_id'"},
		{map[string]any{"name": "x", "mount_accessor": acc, "canonical_id": internal}, "alias can't be set on an internal group"},
		{map[string]any{"name": "x", "mount_accessor": "auth_userpass_00000000", "canonical_id": ext}, `invalid mount accessor "auth_userpass_00000000"`},
		{map[string]any{"id": "", "name": "x", "mount_accessor": acc}, "empty group alias ID"},
		{map[string]any{"id": "nope", "name": "x", "mount_accessor": acc}, "invalid group alias ID"},
	} {
		_, err := c.Logical().Write("identity/group-alias", tc.body)
		idWantError(t, err, http.StatusBadRequest, tc.want)
	}

	made := idWrite(t, c, "identity/group-alias", map[string]any{"name": "ops-ldap", "mount_accessor": acc, "canonical_id": ext})
	aliasID := made.Data["id"].(string)
	if !idUUIDPattern.MatchString(aliasID) || made.Data["canonical_id"] != ext {
		t.Fatalf("create: %v", made.Data)
	}
	al := idRead(t, c, "identity/group-alias/id/"+aliasID)
	if al["name"] != "ops-ldap" || al["canonical_id"] != ext || al["mount_type"] != "userpass" || al["mount_path"] != "auth/userpass/" {
		t.Fatalf("read: %v", al)
	}
	if g := idRead(t, c, "identity/group/id/"+ext); g["alias"].(map[string]any)["id"] != aliasID {
		t.Fatalf("group's alias: %v", g["alias"])
	}
	if g := idRead(t, c, "identity/group/id/"+internal); len(g["alias"].(map[string]any)) != 0 {
		t.Fatalf("internal group's alias: %v", g["alias"])
	}
	list, err := c.Logical().List("identity/group-alias/id")
	if err != nil || len(idKeys(t, list)) != 1 || list.Data["key_info"].(map[string]any)[aliasID].(map[string]any)["name"] != "ops-ldap" {
		t.Fatalf("list: %v %v", list, err)
	}

	// A name is used once per mount; a new alias without canonical_id
	// gets a new external group.
	_, err = c.Logical().Write("identity/group-alias", map[string]any{"name": "ops-ldap", "mount_accessor": acc})
	idWantError(t, err, http.StatusBadRequest, "combination of mount and group alias name is already in use")
	other := idWrite(t, c, "identity/group-alias", map[string]any{"name": "sre-ldap", "mount_accessor": acc})
	if g := idRead(t, c, "identity/group/id/"+other.Data["canonical_id"].(string)); g["type"] != "external" {
		t.Fatalf("group made for a new alias: %v", g)
	}

	// Rename through the ID path; the same values again change nothing.
	idWrite(t, c, "identity/group-alias/id/"+aliasID, map[string]any{"name": "ops-ad", "mount_accessor": acc})
	if s, err := c.Logical().Write("identity/group-alias/id/"+aliasID, map[string]any{"name": "ops-ad", "mount_accessor": acc}); err != nil || s != nil {
		t.Fatalf("idempotent update: %v %v", s, err)
	}
	if al := idRead(t, c, "identity/group-alias/id/"+aliasID); al["name"] != "ops-ad" || al["canonical_id"] != ext {
		t.Fatalf("after rename: %v", al)
	}

	// Deleting the group deletes its alias; disabling the mount deletes
	// the aliases on it; deleting an alias leaves its group.
	if _, err := c.Logical().Delete("identity/group/id/" + ext); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Logical().Read("identity/group-alias/id/" + aliasID); s != nil {
		t.Fatal("alias outlived its group")
	}
	if _, err := c.Logical().Delete("identity/group-alias/id/" + other.Data["id"].(string)); err != nil {
		t.Fatal(err)
	}
	if g := idRead(t, c, "identity/group/id/"+other.Data["canonical_id"].(string)); len(g["alias"].(map[string]any)) != 0 {
		t.Fatalf("deleted alias still on its group: %v", g["alias"])
	}
	third := idWrite(t, c, "identity/group-alias", map[string]any{"name": "qa", "mount_accessor": acc}).Data["id"].(string)
	if err := c.Sys().DisableAuth("userpass"); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Logical().Read("identity/group-alias/id/" + third); s != nil {
		t.Fatal("alias outlived its mount")
	}
}
