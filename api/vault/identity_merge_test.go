package vault_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"iamd/api/apitest"
)

func TestEntityMergeMovesAliasesAndTOTPSecrets(t *testing.T) {
	clock := newUpClock()
	d := apitest.StartDev(t, apitest.Options{Now: clock.Now})
	c := d.VaultClient(t, d.RootToken)
	upAcc := idEnableUserpass(t, c, "userpass")
	otherAcc := idEnableUserpass(t, c, "other")
	upUser(t, c, "userpass", "alice", "pw", nil)
	upUser(t, c, "other", "bob", "pw", nil)
	upUser(t, c, "userpass", "carol", "pw", nil)
	to := upMustLogin(d, t, "userpass", "alice", "pw").Auth.EntityID
	from := upMustLogin(d, t, "other", "bob", "pw").Auth.EntityID
	method := idCreateTOTP(t, c, map[string]any{"issuer": "iamd", "method_name": "app"})
	gen := func(entity string) string {
		s := idWrite(t, c, "identity/mfa/method/totp/admin-generate", map[string]any{"method_id": method, "entity_id": entity})
		return secretOf(t, s.Data["url"].(string))
	}
	gen(to)
	fromSecret := gen(from)

	idRejectAll(t, d, []idCase{
		{"identity/entity/merge", `{"from_entity_ids":["` + from + `"]}`, "missing entity id to merge to"},
		{"identity/entity/merge", `{"to_entity_id":"` + to + `"}`, "missing entity ids to merge from"},
		{"identity/entity/merge", `{"to_entity_id":"nope","from_entity_ids":["` + from + `"]}`, "entity id to merge to is invalid"},
		{"identity/entity/merge", `{"to_entity_id":"` + to + `","from_entity_ids":["nope"]}`, "entity id to merge from is invalid"},
		{"identity/entity/merge", `{"to_entity_id":"` + to + `","from_entity_ids":["` + to + `"]}`, "to_entity_id should not be present in from_entity_ids"},
		{"identity/entity/merge", `{"to_entity_id":"` + to + `","from_entity_ids":["` + from + `"]}`,
			`conflicting MFA config ID "` + method + `" in entity ID "` + from + `"`},
	}, false)

	idWrite(t, c, "identity/entity/merge", map[string]any{"to_entity_id": to, "from_entity_ids": []string{from}, "force": true})
	if s, _ := c.Logical().Read("identity/entity/id/" + from); s != nil {
		t.Fatal("merged entity still exists")
	}
	e := idRead(t, c, "identity/entity/id/"+to)
	if merged := e["merged_entity_ids"].([]any); len(merged) != 1 || merged[0] != from {
		t.Fatalf("merged_entity_ids %v", e["merged_entity_ids"])
	}
	for _, a := range e["aliases"].([]any) {
		al := a.(map[string]any)
		got := al["merged_from_canonical_ids"]
		if al["mount_accessor"] == otherAcc {
			if fmt.Sprint(got) != "["+from+"]" { // bob's alias came from the merged entity
				t.Fatalf("moved alias: merged_from_canonical_ids %v, want [%s]", got, from)
			}
		} else if got != nil {
			t.Fatalf("alias %v: merged_from_canonical_ids %v, want null", al["name"], got)
		}
	}
	found := idWrite(t, c, "identity/lookup/entity", map[string]any{"alias_name": "bob", "alias_mount_accessor": otherAcc})
	if found.Data["id"] != to {
		t.Fatalf("bob's alias now points at %v", found.Data["id"])
	}
	// force: the from entity's secret replaced the target's, and still
	// opens after the move.
	idWrite(t, c, "identity/mfa/login-enforcement/other", map[string]any{"mfa_method_ids": []string{method}, "auth_method_accessors": []string{otherAcc}})
	s := upMustLogin(d, t, "other", "bob", "pw")
	if s.Auth.MFARequirement == nil {
		t.Fatal("no MFA requirement")
	}
	code, _ := totp.GenerateCode(fromSecret, clock.Now())
	ok, err := d.VaultClient(t, "").Sys().MFAValidate(s.Auth.MFARequirement.MFARequestID, map[string]any{"app": []string{code}})
	if err != nil || ok.Auth.EntityID != to {
		t.Fatalf("validate after merge: %v %v", ok, err)
	}

	// Two aliases on one mount: refused, unless one is named to keep.
	third := upMustLogin(d, t, "userpass", "carol", "pw").Auth.EntityID
	status, _, body := raw(t, "POST", d.URL+"/v1/identity/entity/merge", d.RootToken, `{"to_entity_id":"`+to+`","from_entity_ids":["`+third+`"]}`)
	if errs := errorsOf(body); status != 400 || len(errs) != 1 || !strings.Contains(errs[0], "toEntity and at least one fromEntity have aliases with the same mount accessor") {
		t.Fatalf("alias clash: %d %v", status, body)
	}
	var keep string
	for _, a := range idRead(t, c, "identity/entity/id/"+to)["aliases"].([]any) {
		if al := a.(map[string]any); al["mount_accessor"] == upAcc {
			keep = al["id"].(string)
		}
	}
	idWrite(t, c, "identity/entity/merge", map[string]any{"to_entity_id": to, "from_entity_ids": []string{third}, "conflicting_alias_ids_to_keep": []string{keep}})
	aliases := idRead(t, c, "identity/entity/id/"+to)["aliases"].([]any)
	var names []string
	for _, a := range aliases {
		names = append(names, a.(map[string]any)["name"].(string))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"alice", "bob"}) {
		t.Fatalf("aliases after the resolved merge: %v", names)
	}
}
