package vault_test

import (
	"net/http"
	"testing"

	"iamd/api/apitest"
)

// API access rules apply to logins: from an address no rule admits, a
// userpass login is refused before its password is looked at.
func TestLoginRefusedOutsideAccessRules(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, root, "userpass")
	upUser(t, root, "userpass", "bob", "pw-bob-12345", nil)
	from2 := clientFrom(t, d, "127.0.0.2", "")
	if _, err := from2.Logical().Write("auth/userpass/login/bob", map[string]any{"password": "pw-bob-12345"}); err != nil {
		t.Fatalf("login under the default rule: %v", err)
	}
	list, err := root.Logical().List("sys/security/api-access/rules")
	if err != nil || list == nil {
		t.Fatalf("rules %v %v", list, err)
	}
	def := list.Data["keys"].([]any)[0].(string)
	idWrite(t, root, "sys/security/api-access/rules/"+def, map[string]any{"ip_ranges": []string{"127.0.0.1/32"}})

	_, err = from2.Logical().Write("auth/userpass/login/bob", map[string]any{"password": "pw-bob-12345"})
	idWantError(t, err, http.StatusForbidden, "")
	if _, err := d.VaultClient(t, "").Logical().Write("auth/userpass/login/bob", map[string]any{"password": "pw-bob-12345"}); err != nil {
		t.Fatalf("login from an admitted address: %v", err)
	}
}
