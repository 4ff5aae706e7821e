package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

// TestLoginCommand runs `iamd login` in-process against a dev node: a plain
// login stores the token; with an enforcement, -mfa completes a
// single-phase login and a non-interactive run stores nothing.
func TestLoginCommand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("IAMD_TOKEN", "")
	t.Setenv("VAULT_TOKEN", "")
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	if err := c.Sys().EnableAuthWithOptions("people", &vaultapiEnable); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logical().Write("auth/people/users/alice", map[string]any{"password": "pw", "token_policies": "dev"}); err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(home, ".iamd-token")
	login := func(args ...string) int {
		os.Remove(stored)
		return run(append([]string{"login", "-address=" + d.URL, "-path=people"}, args...))
	}
	tokenOK := func() string {
		t.Helper()
		raw, err := os.ReadFile(stored)
		if err != nil {
			t.Fatalf("no stored token: %v", err)
		}
		tok := strings.TrimSpace(string(raw))
		if s, err := d.VaultClient(t, tok).Auth().Token().LookupSelf(); err != nil || s.Data["display_name"] != "people-alice" {
			t.Fatalf("stored token lookup: %v %v", s, err)
		}
		return tok
	}
	if rc := login("username=alice", "password=pw"); rc != 0 {
		t.Fatalf("login exit %d", rc)
	}
	first := tokenOK()
	if rc := login("username=alice", "password=bad"); rc == 0 {
		t.Fatal("bad password exited 0")
	}

	mounts, _ := c.Sys().ListAuth()
	method, err := c.Logical().Write("identity/mfa/method/totp", map[string]any{"issuer": "iamd", "method_name": "app"})
	if err != nil {
		t.Fatal(err)
	}
	methodID := method.Data["method_id"].(string)
	self, _ := d.VaultClient(t, first).Auth().Token().LookupSelf()
	gen, err := c.Logical().Write("identity/mfa/method/totp/admin-generate", map[string]any{"method_id": methodID, "entity_id": self.Data["entity_id"]})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := otp.NewKeyFromURL(gen.Data["url"].(string))
	if _, err := c.Logical().Write("identity/mfa/login-enforcement/cli", map[string]any{
		"mfa_method_ids": methodID, "auth_method_accessors": mounts["people/"].Accessor,
	}); err != nil {
		t.Fatal(err)
	}

	// Not a terminal: the requirement is printed and nothing stored.
	if rc := login("-non-interactive", "username=alice", "password=pw"); rc != 0 {
		t.Fatalf("two-phase non-interactive exit %d", rc)
	}
	if _, err := os.Stat(stored); err == nil {
		t.Fatal("a token was stored without MFA")
	}
	code, _ := totp.GenerateCode(key.Secret(), time.Now())
	if rc := login("-mfa=app:"+code, "username=alice", "password=pw"); rc != 0 {
		t.Fatalf("single-phase login exit %d", rc)
	}
	tokenOK()
}

var vaultapiEnable = vaultapi.EnableAuthOptions{Type: "userpass"}
