package vault_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func userpassLogin(t *testing.T, d *apitest.Dev, user, password string) string {
	t.Helper()
	s, err := d.VaultClient(t, "").Logical().Write("auth/userpass/login/"+user, map[string]any{"password": password})
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return s.Auth.ClientToken
}

func tokenWorks(t *testing.T, d *apitest.Dev, token string) bool {
	t.Helper()
	_, err := d.VaultClient(t, token).Auth().Token().LookupSelf()
	return err == nil
}

func TestSessionSettingsValidation(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	s := idRead(t, c, "sys/security/settings")
	if s["console_session_timeout_minutes"].(json.Number).String() != "60" || s["prevent_concurrent_console_sessions"] != false {
		t.Fatalf("defaults = %v", s)
	}
	for _, bad := range []int{14, 121, 0, -5} {
		_, err := c.Logical().Write("sys/security/settings", map[string]any{"console_session_timeout_minutes": bad})
		idWantError(t, err, 400, "")
	}
	idWrite(t, c, "sys/account/security", map[string]any{"console_session_timeout_minutes": 15})
	if s := idRead(t, c, "sys/security/settings"); s["console_session_timeout_minutes"].(json.Number).String() != "15" {
		t.Fatalf("after update = %v", s)
	}
}

func TestIdleTimeoutEndsUnusedLoginTokens(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	d := apitest.StartDev(t, apitest.Options{Now: clock.Now})
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	idWrite(t, c, "auth/userpass/users/bob", map[string]any{"password": "pw-bob-123"})
	idWrite(t, c, "sys/security/settings", map[string]any{"console_session_timeout_minutes": 15})
	login := userpassLogin(t, d, "bob", "pw-bob-123")
	child, err := c.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"default"}})
	if err != nil {
		t.Fatal(err)
	}
	// Each use restarts the idle clock; the TTL (32 days) is not the limit.
	for i := 0; i < 4; i++ {
		clock.Advance(14 * time.Minute)
		if !tokenWorks(t, d, login) {
			t.Fatalf("login token refused after 14 idle minutes (round %d)", i)
		}
	}
	clock.Advance(15*time.Minute + time.Second)
	if tokenWorks(t, d, login) {
		t.Fatal("login token still works after 15 idle minutes")
	}
	// Tokens not issued by a login have no idle timeout.
	if !tokenWorks(t, d, child.Auth.ClientToken) {
		t.Fatal("a token from auth/token/create was ended by the idle timeout")
	}
	// A fresh login works again.
	if !tokenWorks(t, d, userpassLogin(t, d, "bob", "pw-bob-123")) {
		t.Fatal("new login refused")
	}
}

func TestPreventConcurrentSessionsRevokesEarlierLogins(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	idWrite(t, c, "auth/userpass/users/bob", map[string]any{"password": "pw-bob-123"})
	idWrite(t, c, "auth/userpass/users/eve", map[string]any{"password": "pw-eve-123"})
	first := userpassLogin(t, d, "bob", "pw-bob-123")
	second := userpassLogin(t, d, "bob", "pw-bob-123")
	if !tokenWorks(t, d, first) || !tokenWorks(t, d, second) {
		t.Fatal("concurrent sessions refused while allowed")
	}
	idWrite(t, c, "sys/security/settings", map[string]any{"prevent_concurrent_console_sessions": true})
	eve := userpassLogin(t, d, "eve", "pw-eve-123")
	third := userpassLogin(t, d, "bob", "pw-bob-123")
	if tokenWorks(t, d, first) || tokenWorks(t, d, second) {
		t.Fatal("earlier sessions survived a new login")
	}
	if !tokenWorks(t, d, third) || !tokenWorks(t, d, eve) {
		t.Fatal("the new session, or another user's, was revoked")
	}
	if _, err := c.Auth().Token().LookupAccessor(mustAccessor(t, d, third)); err != nil {
		t.Fatal(err)
	}
}

func mustAccessor(t *testing.T, d *apitest.Dev, token string) string {
	t.Helper()
	s, err := d.VaultClient(t, token).Auth().Token().LookupSelf()
	if err != nil {
		t.Fatal(err)
	}
	return s.Data["accessor"].(string)
}
