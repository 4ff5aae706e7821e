package vault_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

// Helpers shared by the userpass and login MFA tests.

// newUpClock is the node clock of the userpass and login MFA tests, so
// TOTP codes and lockouts can be tested at exact instants.
func newUpClock() *testClock { return &testClock{now: time.Unix(1_800_000_000, 0).UTC()} }

// upUser creates a userpass user on the mount at path.
func upUser(t *testing.T, c *vaultapi.Client, path, name, password string, extra map[string]any) {
	t.Helper()
	data := map[string]any{"password": password}
	for k, v := range extra {
		data[k] = v
	}
	idWrite(t, c, "auth/"+path+"/users/"+name, data)
}

// upLogin logs in with a fresh client (no token) and returns the answer.
func upLogin(d *apitest.Dev, t *testing.T, path, name, password string) (*vaultapi.Secret, error) {
	t.Helper()
	c := d.VaultClient(t, "")
	return c.Logical().Write("auth/"+path+"/login/"+name, map[string]any{"password": password})
}

func upMustLogin(d *apitest.Dev, t *testing.T, path, name, password string) *vaultapi.Secret {
	t.Helper()
	s, err := upLogin(d, t, path, name, password)
	if err != nil || s == nil || s.Auth == nil {
		t.Fatalf("login %s/%s: %v %v", path, name, s, err)
	}
	return s
}

func TestUserpassUsersCRUD(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	idEnableUserpass(t, c, "corp/people")

	upUser(t, c, "userpass", "Alice", "pw-1", map[string]any{"token_policies": "dev,ops", "token_ttl": "1h", "token_max_ttl": 7200})
	u := idRead(t, c, "auth/userpass/users/alice")
	if pol := u["token_policies"].([]any); len(pol) != 2 || pol[0] != "dev" || pol[1] != "ops" {
		t.Fatalf("token_policies %v", u["token_policies"])
	}
	if u["token_ttl"].(json.Number).String() != "3600" || u["token_max_ttl"].(json.Number).String() != "7200" {
		t.Fatalf("ttls %v", u)
	}
	if _, ok := u["password"]; ok {
		t.Fatal("read shows the password")
	}
	upUser(t, c, "userpass", "bob", "pw-b", nil)
	keys := idKeys(t, idListBothWays(t, d, c, "auth/userpass/users"))
	if !slices.Equal(keys, []string{"alice", "bob"}) {
		t.Fatalf("keys %v", keys)
	}
	idWantEmpty(t, d, c, "auth/corp/people/users")

	// An update keeps what it does not name.
	idWrite(t, c, "auth/userpass/users/alice", map[string]any{"token_num_uses": 3})
	if u := idRead(t, c, "auth/userpass/users/alice"); len(u["token_policies"].([]any)) != 2 || u["token_num_uses"].(json.Number).String() != "3" {
		t.Fatalf("after update %v", u)
	}
	idWrite(t, c, "auth/userpass/users/alice", map[string]any{"token_num_uses": 0})

	// Password change: the old one stops working, the new one works.
	idWrite(t, c, "auth/userpass/users/ALICE/password", map[string]any{"password": "pw-2"})
	if _, err := upLogin(d, t, "userpass", "alice", "pw-1"); err == nil {
		t.Fatal("old password still logs in")
	} else {
		idWantError(t, err, 400, "invalid username or password")
	}
	s := upMustLogin(d, t, "userpass", "Alice", "pw-2")
	if !slices.Equal(s.Auth.TokenPolicies, []string{"default", "dev", "ops"}) {
		t.Fatalf("token policies %v", s.Auth.TokenPolicies)
	}
	idWrite(t, c, "auth/userpass/users/alice/policies", map[string]any{"token_policies": []string{"web"}})
	if u := idRead(t, c, "auth/userpass/users/alice"); len(u["token_policies"].([]any)) != 1 {
		t.Fatalf("policies endpoint: %v", u)
	}

	// Mounts are separate user stores.
	if _, err := upLogin(d, t, "corp/people", "alice", "pw-2"); err == nil {
		t.Fatal("login through a mount that has no such user")
	}
	upUser(t, c, "corp/people", "alice", "other", nil)
	upMustLogin(d, t, "corp/people", "alice", "other")

	for _, tc := range []idCase{
		{"auth/userpass/users/carol", `{"token_policies":"x"}`, "missing password"},
		{"auth/userpass/users/nobody/password", `{"password":"x"}`, "username does not exist"},
		{"auth/userpass/users/carol", `{"password":"x","password_hash":"nope"}`, "only one of password or password_hash can be provided"},
		{"auth/userpass/users/carol", `{"password":"x","token_ttl":"2h","token_max_ttl":"1h"}`, "'token_ttl' cannot be greater than 'token_max_ttl'"},
	} {
		status, _, body := raw(t, "POST", d.URL+"/v1/"+tc.path, d.RootToken, tc.body)
		if errs := errorsOf(body); status != 400 || len(errs) != 1 || errs[0] != tc.msg {
			t.Errorf("POST %s %s: %d %v, want 400 %q", tc.path, tc.body, status, body, tc.msg)
		}
	}
	if _, err := upLogin(d, t, "userpass", "nobody", "x"); err == nil {
		t.Fatal("unknown user logged in")
	} else {
		idWantError(t, err, 400, "invalid username or password")
	}

	if _, err := c.Logical().Delete("auth/userpass/users/alice"); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Logical().Read("auth/userpass/users/alice"); s != nil || err != nil {
		t.Fatalf("deleted user reads %v %v", s, err)
	}
	if _, err := upLogin(d, t, "userpass", "alice", "pw-2"); err == nil {
		t.Fatal("deleted user logged in")
	}
}

func TestUserpassLoginAuthBlockAndEntity(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	accessor := idEnableUserpass(t, c, "userpass")
	upUser(t, c, "userpass", "alice", "pw", map[string]any{"token_policies": "dev"})

	status, _, body := raw(t, "POST", d.URL+"/v1/auth/userpass/login/alice", "", `{"password":"pw"}`)
	if status != 200 {
		t.Fatalf("login: %d %v", status, body)
	}
	auth := body["auth"].(map[string]any)
	for _, k := range []string{"client_token", "accessor", "policies", "token_policies", "metadata", "lease_duration",
		"renewable", "entity_id", "token_type", "orphan", "mfa_requirement", "num_uses"} {
		if _, ok := auth[k]; !ok {
			t.Errorf("auth lacks %q", k)
		}
	}
	if auth["token_type"] != "service" || auth["orphan"] != true || auth["renewable"] != true ||
		auth["lease_duration"].(float64) != 2764800 || auth["mfa_requirement"] != nil ||
		auth["metadata"].(map[string]any)["username"] != "alice" {
		t.Fatalf("auth block %v", auth)
	}
	entityID := auth["entity_id"].(string)
	if !idUUIDPattern.MatchString(entityID) {
		t.Fatalf("entity_id %q", entityID)
	}
	tc := d.VaultClient(t, auth["client_token"].(string))
	self, err := tc.Auth().Token().LookupSelf()
	if err != nil || self.Data["entity_id"] != entityID || self.Data["path"] != "auth/userpass/login/alice" {
		t.Fatalf("lookup-self %v %v", self, err)
	}

	// The first login made the entity and its alias; the next reuses them.
	found := idWrite(t, c, "identity/lookup/entity", map[string]any{"alias_name": "alice", "alias_mount_accessor": accessor})
	if found == nil || found.Data["id"] != entityID {
		t.Fatalf("lookup by alias: %v", found)
	}
	aliases := found.Data["aliases"].([]any)
	if len(aliases) != 1 || aliases[0].(map[string]any)["mount_accessor"] != accessor {
		t.Fatalf("aliases %v", aliases)
	}
	if again := upMustLogin(d, t, "userpass", "alice", "pw"); again.Auth.EntityID != entityID {
		t.Fatalf("second login entity %q, want %q", again.Auth.EntityID, entityID)
	}
}

func TestConcurrentFirstLoginsMakeOneEntity(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	upUser(t, c, "userpass", "alice", "pw", nil)
	ids := make([]string, 6)
	errs := idRace(len(ids), func(i int) error {
		s, err := upLogin(d, t, "userpass", "alice", "pw")
		if err == nil {
			ids[i] = s.Auth.EntityID
		}
		return err
	})
	for i, err := range errs {
		if err != nil || ids[i] == "" || ids[i] != ids[0] {
			t.Fatalf("login %d: %v entity %q (first %q)", i, err, ids[i], ids[0])
		}
	}
	if keys := idKeys(t, idListBothWays(t, d, c, "identity/entity/id")); len(keys) != 1 {
		t.Fatalf("entities %v", keys)
	}
}

func TestEntityAndGroupPoliciesAreEnforced(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	upUser(t, c, "userpass", "alice", "pw", nil)
	s := upMustLogin(d, t, "userpass", "alice", "pw")
	entityID := s.Auth.EntityID
	alice := d.VaultClient(t, s.Auth.ClientToken)
	// The default policy lets a token read its own entity: read another.
	target := "identity/entity/id/" + idCreateEntity(t, c, "bob")

	for name, text := range map[string]string{
		"entity-reader": `path "identity/entity/id/*" { capabilities = ["read"] }`,
		"no-entities":   `path "identity/entity/id/*" { capabilities = ["deny"] }`,
		"team-reader":   `path "identity/group/id/{{identity.groups.names.team.id}}" { capabilities = ["read"] }`,
	} {
		if err := c.Sys().PutPolicy(name, text); err != nil {
			t.Fatal(err)
		}
	}
	wantDenied := func(why string) {
		t.Helper()
		_, err := alice.Logical().Read(target)
		idWantError(t, err, 403, "permission denied")
		_ = why
	}
	wantAllowed := func(why string) {
		t.Helper()
		if s, err := alice.Logical().Read(target); err != nil || s == nil {
			t.Fatalf("%s: read %v %v", why, s, err)
		}
	}
	wantDenied("token policies only")

	own := "identity/entity/id/" + entityID
	idWrite(t, c, own, map[string]any{"policies": []string{"entity-reader"}})
	wantAllowed("entity policy")
	idWrite(t, c, own, map[string]any{"policies": []string{}})
	wantDenied("entity policy removed")

	// A group two levels up grants it: inherited membership counts.
	child := idWrite(t, c, "identity/group", map[string]any{"name": "team", "member_entity_ids": []string{entityID}}).Data["id"].(string)
	parent := idWrite(t, c, "identity/group", map[string]any{"name": "org", "member_group_ids": []string{child}, "policies": []string{"entity-reader"}}).Data["id"].(string)
	wantAllowed("inherited group policy")
	if other, err := alice.Logical().Read("identity/group/id/" + child); err == nil || other != nil {
		t.Fatalf("read a group without a policy for it: %v", other)
	}
	idWrite(t, c, own, map[string]any{"policies": []string{"team-reader"}})
	if g, err := alice.Logical().Read("identity/group/id/" + child); err != nil || g == nil {
		t.Fatalf("templated group path: %v %v", g, err)
	}
	if g, err := alice.Logical().Read("identity/group/id/" + parent); err == nil || g != nil {
		t.Fatalf("templated path matched another group: %v", g)
	}
	// deny in any attached policy wins.
	idWrite(t, c, "identity/group/id/"+child, map[string]any{"policies": []string{"no-entities"}})
	wantDenied("deny from a direct group")

	caps, err := alice.Sys().CapabilitiesSelf(target)
	if err != nil || !slices.Equal(caps, []string{"deny"}) {
		t.Fatalf("capabilities-self %v %v", caps, err)
	}
	idWrite(t, c, "identity/group/id/"+child, map[string]any{"policies": []string{}})
	wantAllowed("deny removed")
	if again := upMustLogin(d, t, "userpass", "alice", "pw"); !slices.Equal(again.Auth.IdentityPolicies, []string{"entity-reader", "team-reader"}) ||
		!slices.Contains(again.Auth.Policies, "team-reader") {
		t.Fatalf("login auth: policies %v identity %v", again.Auth.Policies, again.Auth.IdentityPolicies)
	}
	self, err := alice.Auth().Token().LookupSelf()
	if ip, _ := self.Data["identity_policies"].([]any); err != nil || len(ip) != 2 || ip[0] != "entity-reader" {
		t.Fatalf("lookup-self identity_policies: %v %v", self.Data["identity_policies"], err)
	}
	// A disabled entity's tokens are refused, and it cannot log in.
	idWrite(t, c, own, map[string]any{"disabled": true})
	_, err = alice.Auth().Token().LookupSelf()
	idWantError(t, err, 403, "permission denied")
	_, err = upLogin(d, t, "userpass", "alice", "pw")
	idWantError(t, err, 403, "permission denied")
}
