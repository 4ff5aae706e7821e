package vault_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"iamd/api/apitest"
)

const issuerOnly = `{"issuer":"iamd"}`

func TestTOTPMethodCRUD(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)

	// Defaults, checked on the raw body: numbers are JSON integers.
	status, hdr, body := raw(t, "POST", d.URL+"/v1/identity/mfa/method/totp", d.RootToken, issuerOnly)
	if status != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("create: %d %v", status, body)
	}
	id := body["data"].(map[string]any)["method_id"].(string)
	if !idUUIDPattern.MatchString(id) || body["mount_type"] != "identity" {
		t.Fatalf("create answer %v", body)
	}
	status, _, body = raw(t, "GET", d.URL+"/v1/identity/mfa/method/totp/"+id, d.RootToken, "")
	want := map[string]any{
		"id": id, "name": "", "type": "totp", "namespace_id": "root", "namespace_path": "", "issuer": "iamd",
		"period": 30.0, "digits": 6.0, "skew": 1.0, "key_size": 20.0, "qr_size": 200.0, "algorithm": "SHA1",
		"max_validation_attempts": 5.0, "self_enrollment_enabled": false,
	}
	data := body["data"].(map[string]any)
	for k, v := range want {
		if data[k] != v {
			t.Errorf("read %s = %v, want %v", k, data[k], v)
		}
	}
	if status != 200 || len(data) != len(want) {
		t.Fatalf("read: %d %v", status, data)
	}

	// Update re-reads every field: omitted ones return to their defaults.
	if s := idWrite(t, c, "identity/mfa/method/totp/"+id, map[string]any{
		"issuer": "corp", "digits": 8, "period": "1m", "algorithm": "SHA256", "method_name": "corp-totp",
	}); s != nil {
		t.Fatalf("update answered %v", s)
	}
	m := idRead(t, c, "identity/mfa/method/totp/"+id)
	if m["digits"].(json.Number).String() != "8" || m["period"].(json.Number).String() != "60" || m["name"] != "corp-totp" || m["algorithm"] != "SHA256" {
		t.Fatalf("after update %v", m)
	}
	idWrite(t, c, "identity/mfa/method/totp/"+id, map[string]any{"issuer": "corp", "max_validation_attempts": 0})
	m = idRead(t, c, "identity/mfa/method/"+id) // any-type read
	if m["digits"].(json.Number).String() != "6" || m["algorithm"] != "SHA1" || m["name"] != "corp-totp" ||
		m["max_validation_attempts"].(json.Number).String() != "5" {
		t.Fatalf("update without fields must restore defaults and keep the name: %v", m)
	}

	status, _, body = raw(t, "POST", d.URL+"/v1/identity/mfa/method/totp/5e1f3b0c-0000-0000-0000-000000000000", d.RootToken, issuerOnly)
	if status != 404 || len(errorsOf(body)) != 0 {
		t.Fatalf("update of an unknown method: %d %v", status, body)
	}
	if s, err := c.Logical().Read("identity/mfa/method/totp/5e1f3b0c-0000-0000-0000-000000000000"); s != nil || err != nil {
		t.Fatalf("read of an unknown method: %v %v", s, err)
	}

	second := idCreateTOTP(t, c, nil)
	for _, path := range []string{"identity/mfa/method/totp", "identity/mfa/method"} {
		list := idListBothWays(t, d, c, path)
		keys := idKeys(t, list)
		if len(keys) != 2 || !slices.Contains(keys, id) || !slices.Contains(keys, second) {
			t.Fatalf("%s keys %v", path, keys)
		}
		if info := list.Data["key_info"].(map[string]any)[id].(map[string]any); info["issuer"] != "corp" || info["type"] != "totp" {
			t.Fatalf("%s key_info %v", path, info)
		}
	}

	for _, mid := range []string{id, second} {
		status, _, _ := raw(t, "DELETE", d.URL+"/v1/identity/mfa/method/totp/"+mid, d.RootToken, "")
		if status != 204 {
			t.Fatalf("delete: %d", status)
		}
	}
	idWantEmpty(t, d, c, "identity/mfa/method/totp")
}

func TestTOTPMethodValidationMessages(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	idCreateTOTP(t, c, map[string]any{"issuer": "iamd", "method_name": "corp"})
	const totp = "identity/mfa/method/totp"
	idRejectAll(t, d, []idCase{
		{totp, `{}`, "issuer must be set"},
		{totp, `{"issuer":""}`, "issuer must be set"},
		{totp, `{"issuer":"i","algorithm":"MD5"}`, "unrecognized algorithm"},
		{totp, `{"issuer":"i","digits":7}`, "digits can only be 6 or 8"},
		{totp, `{"issuer":"i","period":0}`, "period must be greater than zero"},
		{totp, `{"issuer":"i","period":"-5s"}`, "period must be greater than zero"},
		{totp, `{"issuer":"i","skew":2}`, "skew must be 0 or 1"},
		{totp, `{"issuer":"i","key_size":0}`, "key_size must be greater than zero"},
		{totp, `{"issuer":"i","max_validation_attempts":-1}`, "max_validation_attempts must be greater than zero"},
		{totp, `{"issuer":"i","method_name":"corp"}`, "a login MFA method configuration with the method name corp already exists"},
		// Several faults: the name is checked first, then Vault's
		// parseTOTPConfig order (algorithm, digits, period, skew, key_size, issuer).
		{totp, `{"method_name":"corp","algorithm":"MD5"}`, "a login MFA method configuration with the method name corp already exists"},
		{totp, `{"algorithm":"MD5","digits":7,"period":0}`, "unrecognized algorithm"},
		{totp, `{"digits":7,"period":0,"skew":3}`, "digits can only be 6 or 8"},
		{totp, `{"period":0,"skew":3,"key_size":0}`, "period must be greater than zero"},
		{totp, `{"skew":3,"key_size":0}`, "skew must be 0 or 1"},
		{totp, `{"key_size":-1,"max_validation_attempts":-1}`, "key_size must be greater than zero"},
		{totp, `{"max_validation_attempts":-1}`, "issuer must be set"},
	}, false)
	idRejectAll(t, d, []idCase{
		{totp, `{"issuer":`, "error parsing JSON"},
		{totp, `{"issuer":"i","period":"soon"}`, `field "period"`},
		{totp, `{"issuer":"i","digits":"six"}`, `field "digits"`},
		{totp, `{"issuer":["i"]}`, `field "issuer"`},
	}, true)
}

func TestLoginEnforcementCRUD(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	acc := idEnableUserpass(t, c, "userpass")
	method := idCreateTOTP(t, c, nil)
	entity := idCreateEntity(t, c, "alice")

	if s := idWrite(t, c, "identity/mfa/login-enforcement/corp", map[string]any{
		"mfa_method_ids": []string{method}, "auth_method_accessors": []string{acc},
	}); s != nil {
		t.Fatalf("create answered %v", s)
	}
	status, _, body := raw(t, "GET", d.URL+"/v1/identity/mfa/login-enforcement/corp", d.RootToken, "")
	data := body["data"].(map[string]any)
	if status != 200 || data["name"] != "corp" || !idUUIDPattern.MatchString(data["id"].(string)) ||
		data["namespace_id"] != "root" || data["namespace_path"] != "" || data["mfa_method_ids"].([]any)[0] != method ||
		data["auth_method_accessors"].([]any)[0] != acc {
		t.Fatalf("read: %d %v", status, data)
	}
	for _, k := range []string{"auth_method_types", "identity_group_ids", "identity_entity_ids"} {
		if v, ok := data[k].([]any); !ok || len(v) != 0 {
			t.Fatalf("%s must be [], got %#v", k, data[k])
		}
	}
	enfID := data["id"]

	// An update replaces only the lists it carries; comma strings work.
	idWrite(t, c, "identity/mfa/login-enforcement/corp", map[string]any{
		"mfa_method_ids": method, "auth_method_types": "userpass", "identity_entity_ids": []string{entity},
	})
	e := idRead(t, c, "identity/mfa/login-enforcement/corp")
	if e["id"] != enfID || e["auth_method_accessors"].([]any)[0] != acc || e["auth_method_types"].([]any)[0] != "userpass" ||
		e["identity_entity_ids"].([]any)[0] != entity {
		t.Fatalf("after update %v", e)
	}

	list := idListBothWays(t, d, c, "identity/mfa/login-enforcement")
	if keys := idKeys(t, list); len(keys) != 1 || keys[0] != "corp" {
		t.Fatalf("keys %v", keys)
	}
	if info := list.Data["key_info"].(map[string]any)["corp"].(map[string]any); info["id"] != enfID {
		t.Fatalf("key_info %v", info)
	}

	// What the enforcement uses cannot go away under it.
	status, _, body = raw(t, "DELETE", d.URL+"/v1/identity/mfa/method/totp/"+method, d.RootToken, "")
	if errs := errorsOf(body); status != 500 || len(errs) != 1 || errs[0] != "methodID is still used by an enforcement configuration with ID: "+enfID.(string) {
		t.Fatalf("deleting a used method: %d %v", status, body)
	}
	idRead(t, c, "identity/mfa/method/totp/"+method)
	if err := c.Sys().DisableAuth("userpass"); err == nil {
		t.Fatal("disabled a mount an enforcement names")
	} else {
		idWantError(t, err, 400, "")
	}

	for i := 0; i < 2; i++ { // a missing enforcement deletes fine too
		status, _, _ = raw(t, "DELETE", d.URL+"/v1/identity/mfa/login-enforcement/corp", d.RootToken, "")
		if status != 204 {
			t.Fatalf("delete: %d", status)
		}
	}
	if s, err := c.Logical().Read("identity/mfa/login-enforcement/corp"); s != nil || err != nil {
		t.Fatalf("deleted enforcement: %v %v", s, err)
	}
	idWantEmpty(t, d, c, "identity/mfa/login-enforcement")
	if _, err := c.Logical().Delete("identity/mfa/method/totp/" + method); err != nil {
		t.Fatalf("delete after the enforcement is gone: %v", err)
	}
	if err := c.Sys().DisableAuth("userpass"); err != nil {
		t.Fatal(err)
	}
}

// Each case breaks its own rule and all later ones: the answer is the
// first rule in the spec's order (spec/vault.md §5.2).
func TestLoginEnforcementValidationOrder(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	acc := idEnableUserpass(t, c, "userpass")
	m := idCreateTOTP(t, c, nil)
	const x = "identity/mfa/login-enforcement/x"
	idRejectAll(t, d, []idCase{
		{x, `{"auth_method_accessors":["bad"]}`, "missing method ids"},
		{x, `{"mfa_method_ids":[],"auth_method_types":["bad"]}`, "missing method ids"},
		{x, `{"mfa_method_ids":["` + m + `","nope"],"auth_method_accessors":["bad"]}`, "one of the provided method ids doesn't exist"},
		{x, `{"mfa_method_ids":["` + m + `"],"auth_method_accessors":["bad"],"auth_method_types":["bad"]}`, "one of the auth method accessors provided is invalid"},
		{x, `{"mfa_method_ids":["` + m + `"],"auth_method_accessors":["` + acc + `"],"auth_method_types":["ldap"],"identity_group_ids":["bad"]}`, "one of the auth method types provided is invalid"},
		{x, `{"mfa_method_ids":["` + m + `"],"identity_group_ids":["bad"],"identity_entity_ids":["bad"]}`, "one of the provided group ids doesn't exist"},
		{x, `{"mfa_method_ids":["` + m + `"],"identity_entity_ids":["bad"]}`, "one of the provided entity ids doesn't exist"},
		{x, `{"mfa_method_ids":["` + m + `"]}`, "One of auth_method_accessors, auth_method_types, identity_group_ids, identity_entity_ids must be specified"},
	}, false)
}

// Twenty clients create TOTP methods with one method_name at once: the FSM
// lets exactly one have it.
func TestConcurrentMethodNamesOneWins(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	errs := idRace(20, func(i int) error {
		_, err := c.Logical().Write("identity/mfa/method/totp", map[string]any{"issuer": "iamd", "method_name": "shared"})
		return err
	})
	wins := idWins(errs, func(err error) {
		idWantError(t, err, 400, "a login MFA method configuration with the method name shared already exists")
	})
	if wins != 1 || len(idKeys(t, idListBothWays(t, d, c, "identity/mfa/method/totp"))) != 1 {
		t.Fatalf("%d creates won, want 1", wins)
	}

	// Concurrent creates of one enforcement name end with one enforcement.
	acc := idEnableUserpass(t, c, "userpass")
	m := idCreateTOTP(t, c, nil)
	errs = idRace(20, func(i int) error {
		_, err := c.Logical().Write("identity/mfa/login-enforcement/one", map[string]any{
			"mfa_method_ids": []string{m}, "auth_method_accessors": []string{acc},
		})
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if keys := idKeys(t, idListBothWays(t, d, c, "identity/mfa/login-enforcement")); len(keys) != 1 {
		t.Fatalf("enforcements %v", keys)
	}
}

func TestMFABadInputAndWireShapes(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	acc := idEnableUserpass(t, c, "userpass")
	m := idCreateTOTP(t, c, nil)
	idWrite(t, c, "identity/mfa/login-enforcement/e", map[string]any{"mfa_method_ids": []string{m}, "auth_method_accessors": []string{acc}})
	before := d.Node.FSM().Digest()
	huge := `["` + strings.Repeat(`x","`, 10000) + `x"]`
	cases := []struct {
		method, path, token, body string
		status                    int
		msg                       string
	}{
		{"POST", "identity/mfa/login-enforcement/e", d.RootToken, `{"mfa_method_ids":[`, 400, "error parsing JSON"},
		{"POST", "identity/mfa/login-enforcement/e", d.RootToken, `{"mfa_method_ids":{"a":1}}`, 400, `field "mfa_method_ids"`},
		{"POST", "identity/mfa/login-enforcement/e", d.RootToken, `{"mfa_method_ids":["` + m + `"],"auth_method_types":` + huge + `}`, 400, `too many entries in "auth_method_types"`},
		{"POST", "identity/mfa/login-enforcement/e", d.RootToken, `{"mfa_method_ids":` + huge + `}`, 400, `too many entries in "mfa_method_ids"`},
		{"POST", "identity/mfa/method/totp/" + m, d.RootToken, `{"issuer":"x","skew":"sometimes"}`, 400, `field "skew"`},
		{"POST", "identity/mfa/method/totp/" + m, d.RootToken, `{"issuer":""}`, 400, "issuer must be set"},
		{"GET", "identity/mfa/login-enforcement/e", "", "", 403, "permission denied"},
		{"GET", "identity/mfa/login-enforcement/e", "bogus", "", 403, "permission denied"},
		{"PUT", "identity/mfa/login-enforcement", d.RootToken, `{}`, 405, ""},
		{"DELETE", "identity/mfa/method/totp", d.RootToken, "", 405, ""},
		{"GET", "identity/mfa/nothing-here", d.RootToken, "", 404, "no handler for route"},
	}
	for _, tc := range cases {
		status, hdr, body := raw(t, tc.method, d.URL+"/v1/"+tc.path, tc.token, tc.body)
		if status != tc.status || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, status, body, tc.status)
			continue
		}
		if _, ok := body["errors"].([]any); !ok {
			t.Errorf("%s %s: no errors array in %v", tc.method, tc.path, body)
		}
		if tc.msg != "" && !strings.Contains(strings.Join(errorsOf(body), "|"), tc.msg) {
			t.Errorf("%s %s: errors %v, want %q", tc.method, tc.path, errorsOf(body), tc.msg)
		}
	}
	if d.Node.FSM().Digest() != before {
		t.Fatal("rejected requests changed the state")
	}
	e := idRead(t, c, "identity/mfa/login-enforcement/e")
	if len(e["mfa_method_ids"].([]any)) != 1 || len(e["auth_method_types"].([]any)) != 0 {
		t.Fatalf("enforcement after bad input %v", e)
	}
}
