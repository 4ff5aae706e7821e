package vault_test

import (
	"net/http"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/api/apitest"
)

// muaEnv is a dev node with two security contacts, alice and carol: each
// a userpass login with a TOTP secret enrolled.
type muaEnv struct {
	d      *apitest.Dev
	c      *vaultapi.Client
	clock  *testClock
	method string
	users  map[string]*muaUser
}

type muaUser struct {
	entity, token, secret string
	c                     *vaultapi.Client
}

func newMUAEnv(t *testing.T) *muaEnv {
	clock := &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	d := apitest.StartDev(t, apitest.Options{Now: clock.Now})
	e := &muaEnv{d: d, c: d.VaultClient(t, d.RootToken), clock: clock, users: map[string]*muaUser{}}
	idEnableUserpass(t, e.c, "userpass")
	e.method = idCreateTOTP(t, e.c, nil)
	for _, name := range []string{"alice", "carol"} {
		idWrite(t, e.c, "auth/userpass/users/"+name, map[string]any{"password": "pw-" + name + "-123"})
		tok := userpassLogin(t, d, name, "pw-"+name+"-123")
		u := &muaUser{token: tok, c: d.VaultClient(t, tok)}
		self, err := u.c.Auth().Token().LookupSelf()
		if err != nil {
			t.Fatal(err)
		}
		u.entity = self.Data["entity_id"].(string)
		gen := idWrite(t, e.c, "identity/mfa/method/totp/admin-generate", map[string]any{"method_id": e.method, "entity_id": u.entity})
		k, err := otp.NewKeyFromURL(gen.Data["url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		u.secret = k.Secret()
		e.users[name] = u
	}
	return e
}

func (e *muaEnv) code(t *testing.T, user string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(e.users[user].secret, e.clock.Now(),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// held sends a guarded request as root and returns the approval id of its
// 202 answer.
func (e *muaEnv) held(t *testing.T, method, path, body string) string {
	t.Helper()
	status, _, out := raw(t, method, e.d.URL+"/v1/"+path, e.d.RootToken, body)
	if status != http.StatusAccepted {
		t.Fatalf("%s %s: status %d (%v), want 202", method, path, status, out)
	}
	data := out["data"].(map[string]any)
	if data["status"] != "pending" || data["approval_id"] == "" {
		t.Fatalf("held answer %v", out)
	}
	return data["approval_id"].(string)
}

func (e *muaEnv) approve(t *testing.T, user, id string) (*vaultapi.Secret, error) {
	t.Helper()
	e.clock.Advance(30 * time.Second) // a contact's codes are single-use per time step
	return e.users[user].c.Logical().Write("sys/approvals/"+id+"/approve", map[string]any{"mfa_code": e.code(t, user)})
}

func (e *muaEnv) configure(t *testing.T) {
	t.Helper()
	idWrite(t, e.c, "sys/security/mua", map[string]any{"enabled": true, "contacts": []map[string]any{
		{"entity_id": e.users["alice"].entity, "activities": []string{"delete_entity", "change_acl_policy"}},
		{"entity_id": e.users["carol"].entity, "activities": []string{"delete_entity"}},
	}})
}

func TestMUAContactsNeedMFA(t *testing.T) {
	e := newMUAEnv(t)
	plain := idCreateEntity(t, e.c, "no-mfa")
	_, err := e.c.Logical().Write("sys/security/mua", map[string]any{"enabled": true, "contacts": []map[string]any{
		{"entity_id": plain, "activities": []string{"delete_entity"}},
	}})
	idWantError(t, err, 400, `security contact "`+plain+`" has no MFA method enrolled`)
	_, err = e.c.Logical().Write("sys/security/mua", map[string]any{"enabled": true, "contacts": []map[string]any{
		{"entity_id": e.users["alice"].entity, "activities": []string{"launch_rockets"}},
	}})
	idWantError(t, err, 400, `unknown activity "launch_rockets"`)
	// Only root configures it.
	_, err = e.users["alice"].c.Logical().Write("sys/security/mua", map[string]any{"enabled": false})
	idWantError(t, err, 403, "")
}

func TestMUAGuardedDeleteNeedsEveryContact(t *testing.T) {
	e := newMUAEnv(t)
	victim := idCreateEntity(t, e.c, "victim")
	e.configure(t)
	id := e.held(t, "DELETE", "identity/entity/id/"+victim, "")
	if idRead(t, e.c, "identity/entity/id/"+victim) == nil {
		t.Fatal("guarded delete was carried out at once")
	}
	// A wrong code and a non-contact are refused.
	_, err := e.users["alice"].c.Logical().Write("sys/approvals/"+id+"/approve", map[string]any{"mfa_code": "000000"})
	idWantError(t, err, 403, "")
	if _, err := e.c.Logical().Write("sys/approvals/"+id+"/approve", map[string]any{"mfa_code": "123456"}); err == nil {
		t.Fatal("root (not a contact) approved")
	}
	s, err := e.approve(t, "alice", id)
	if err != nil || s.Data["status"] != "pending" {
		t.Fatalf("alice's approval: %v %v", s, err)
	}
	if idRead(t, e.c, "identity/entity/id/"+victim) == nil {
		t.Fatal("carried out with one of two approvals")
	}
	if _, err := e.approve(t, "alice", id); err == nil {
		t.Fatal("alice approved twice")
	}
	s, err = e.approve(t, "carol", id)
	if err != nil || s.Data["status"] != "approved" {
		t.Fatalf("carol's approval: %v %v", s, err)
	}
	if got, _ := e.c.Logical().Read("identity/entity/id/" + victim); got != nil {
		t.Fatal("entity survived a complete approval")
	}
	lines, _ := readAuditLog(t, e.c, map[string][]string{"after": {"0"}})
	var request, deleted bool
	decisions := 0
	for _, l := range lines {
		switch l.Action {
		case "approval.request":
			request = l.Result == "pending" && l.Principal == "root"
		case "approval.decide":
			if l.Result == "success" && l.Target == id {
				decisions++
			}
		case "identity.entity.delete":
			deleted = l.Result == "success" && l.Principal == "root" && l.Target == victim
		}
	}
	if !request || !deleted || decisions != 2 {
		t.Logf("%+v", lines)
		t.Fatalf("request=%v deleted=%v decisions=%d", request, deleted, decisions)
	}
}

func TestMUADeclineAndDeadlineVoid(t *testing.T) {
	e := newMUAEnv(t)
	e.configure(t)
	body := `{"policy":"path \"x\" { capabilities = [\"read\"] }"}`
	declined := e.held(t, "PUT", "sys/policies/acl/guarded", body)
	if _, err := e.users["alice"].c.Logical().Write("sys/approvals/"+declined+"/decline", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.approve(t, "alice", declined); err == nil {
		t.Fatal("a declined approval was approved")
	}
	if p, _ := e.c.Sys().GetPolicy("guarded"); p != "" {
		t.Fatal("declined policy change was carried out")
	}
	// Carol guards entity deletes only: she is no contact of a policy change.
	late := e.held(t, "PUT", "sys/policies/acl/guarded", body)
	if _, err := e.users["carol"].c.Logical().Write("sys/approvals/"+late+"/decline", nil); err == nil {
		t.Fatal("a contact without the activity decided")
	}
	e.clock.Advance(24*time.Hour + time.Minute)
	if s := idRead(t, e.c, "sys/approvals/"+late); s["status"] != "expired" {
		t.Fatalf("status after the deadline: %v", s["status"])
	}
	if _, err := e.approve(t, "alice", late); err == nil {
		t.Fatal("approved after the deadline")
	}
	if p, _ := e.c.Sys().GetPolicy("guarded"); p != "" {
		t.Fatal("expired policy change was carried out")
	}
	list, err := e.c.Logical().List("sys/approvals")
	if err != nil || len(list.Data["keys"].([]any)) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	// Unguarded activities are carried out at once.
	e.held(t, "PUT", "sys/policies/acl/another", body)
	idWrite(t, e.c, "identity/entity", map[string]any{"name": "not-guarded"})
}
