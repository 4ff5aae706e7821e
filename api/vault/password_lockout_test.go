package vault_test

import (
	"encoding/json"
	"testing"
	"time"

	"iamd/api/apitest"
)

// The account password policy's lockout threshold and minutes apply to
// userpass logins on mounts that set no lockout of their own.
func TestPasswordPolicyLockoutAndUnlock(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	d := apitest.StartDev(t, apitest.Options{Now: clock.Now})
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	idWrite(t, c, "sys/security/password-policy", map[string]any{"lockout_threshold": 2, "lockout_minutes": 3})
	if p := idRead(t, c, "sys/security/password-policy"); p["minimum_password_length"].(json.Number).String() != "8" {
		t.Fatalf("policy defaults: %v", p)
	}
	idWrite(t, c, "auth/userpass/users/bob", map[string]any{"password": "pw-bob-123"})
	anon := d.VaultClient(t, "")
	for i := 0; i < 2; i++ {
		if _, err := anon.Logical().Write("auth/userpass/login/bob", map[string]any{"password": "wrong"}); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	if _, err := anon.Logical().Write("auth/userpass/login/bob", map[string]any{"password": "pw-bob-123"}); err == nil {
		t.Fatal("locked user logged in")
	}
	clock.Advance(3*time.Minute + time.Second)
	if _, err := anon.Logical().Write("auth/userpass/login/bob", map[string]any{"password": "pw-bob-123"}); err != nil {
		t.Fatalf("still locked after the lockout minutes: %v", err)
	}
	_, err := c.Logical().Write("sys/security/password-policy", map[string]any{"minimum_password_length": 7})
	idWantError(t, err, 400, "")
}

func TestPasswordPolicyExpiry(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	d := apitest.StartDev(t, apitest.Options{Now: clock.Now})
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	idWrite(t, c, "sys/security/password-policy", map[string]any{"max_password_age": 30})
	idWrite(t, c, "auth/userpass/users/bob", map[string]any{"password": "pw-bob-123"})
	anon := d.VaultClient(t, "")
	login := func() error {
		_, err := anon.Logical().Write("auth/userpass/login/bob", map[string]any{"password": "pw-bob-123"})
		return err
	}
	clock.Advance(29 * 24 * time.Hour)
	if err := login(); err != nil {
		t.Fatalf("login before expiry: %v", err)
	}
	clock.Advance(2 * 24 * time.Hour)
	err := login()
	idWantError(t, err, 403, "password expired: it is older than 30 days; an administrator must reset it")
	idWrite(t, c, "auth/userpass/users/bob/password", map[string]any{"password": "pw-bob-456"})
	if _, err := anon.Logical().Write("auth/userpass/login/bob", map[string]any{"password": "pw-bob-456"}); err != nil {
		t.Fatalf("login after reset: %v", err)
	}
}
