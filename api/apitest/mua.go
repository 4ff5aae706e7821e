package apitest

import (
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// SecurityContact makes a userpass user with a login-MFA TOTP secret the
// account's only multi-user approval contact for activities, and returns
// a function that approves an approval as that contact with the code at
// now(). Shared by the dialects' approval tests.
func (d *Dev) SecurityContact(t testing.TB, now func() time.Time, activities ...string) (approve func(id string)) {
	t.Helper()
	v := d.VaultClient(t, d.RootToken)
	write := func(path string, body map[string]any) *vaultapi.Secret {
		t.Helper()
		s, err := v.Logical().Write(path, body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return s
	}
	if err := v.Sys().EnableAuthWithOptions("userpass", &vaultapi.EnableAuthOptions{Type: "userpass"}); err != nil {
		t.Fatal(err)
	}
	write("auth/userpass/users/alice", map[string]any{"password": "pw-alice-123"})
	method := write("identity/mfa/method/totp", map[string]any{"issuer": "iamd"})
	login, err := d.VaultClient(t, "").Logical().Write("auth/userpass/login/alice", map[string]any{"password": "pw-alice-123"})
	if err != nil {
		t.Fatal(err)
	}
	gen := write("identity/mfa/method/totp/admin-generate", map[string]any{
		"method_id": method.Data["method_id"], "entity_id": login.Auth.EntityID})
	key, err := otp.NewKeyFromURL(gen.Data["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	write("sys/security/mua", map[string]any{"enabled": true, "contacts": []map[string]any{
		{"entity_id": login.Auth.EntityID, "activities": activities}}})
	alice := d.VaultClient(t, login.Auth.ClientToken)
	return func(id string) {
		t.Helper()
		code, err := totp.GenerateCode(key.Secret(), now())
		if err != nil {
			t.Fatal(err)
		}
		s, err := alice.Logical().Write("sys/approvals/"+id+"/approve", map[string]any{"mfa_code": code})
		if err != nil {
			t.Fatal(err)
		}
		if s.Data["status"] != "approved" {
			t.Fatalf("approval: %v", s.Data)
		}
	}
}
