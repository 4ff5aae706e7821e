package vault_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/api/apitest"
)

const mfaWarningText = "A login request was issued that is subject to MFA validation. Please make sure to validate the login by sending another request to mfa/validate endpoint."

// mfaEnv is a dev node on a settable clock with a userpass mount, a user
// alice who logged in once (so her entity exists), a TOTP method "corp"
// with her secret, and the enforcement "corp-mfa" on the mount.
type mfaEnv struct {
	d        *apitest.Dev
	c        *vaultapi.Client
	clock    *testClock
	accessor string
	methodID string
	entityID string
	secret   string
}

func newMFAEnv(t *testing.T, method map[string]any) *mfaEnv {
	t.Helper()
	e := &mfaEnv{clock: newUpClock()}
	e.d = apitest.StartDev(t, apitest.Options{Now: e.clock.Now})
	e.c = e.d.VaultClient(t, e.d.RootToken)
	e.accessor = idEnableUserpass(t, e.c, "userpass")
	upUser(t, e.c, "userpass", "alice", "pw", nil)
	e.entityID = upMustLogin(e.d, t, "userpass", "alice", "pw").Auth.EntityID
	data := map[string]any{"issuer": "iamd", "method_name": "corp"}
	for k, v := range method {
		data[k] = v
	}
	e.methodID = idCreateTOTP(t, e.c, data)
	gen := idWrite(t, e.c, "identity/mfa/method/totp/admin-generate", map[string]any{"method_id": e.methodID, "entity_id": e.entityID})
	e.secret = secretOf(t, gen.Data["url"].(string))
	idWrite(t, e.c, "identity/mfa/login-enforcement/corp-mfa", map[string]any{
		"mfa_method_ids": []string{e.methodID}, "auth_method_accessors": []string{e.accessor},
	})
	return e
}

func secretOf(t *testing.T, url string) string {
	t.Helper()
	k, err := otp.NewKeyFromURL(url)
	if err != nil {
		t.Fatalf("otp url %q: %v", url, err)
	}
	return k.Secret()
}

// code is the TOTP code of secret at the node's current time.
func (e *mfaEnv) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pending logs alice in and returns the MFA request ID.
func (e *mfaEnv) pending(t *testing.T) string {
	t.Helper()
	s := upMustLogin(e.d, t, "userpass", "alice", "pw")
	if s.Auth.ClientToken != "" || s.Auth.MFARequirement == nil {
		t.Fatalf("login without MFA: %+v", s.Auth)
	}
	return s.Auth.MFARequirement.MFARequestID
}

func (e *mfaEnv) validate(t *testing.T, reqID, key string, values ...string) (*vaultapi.Secret, error) {
	t.Helper()
	return e.d.VaultClient(t, "").Sys().MFAValidate(reqID, map[string]any{key: values})
}

func wantForbiddenContaining(t *testing.T, err error, part string) {
	t.Helper()
	var re *vaultapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 403 || !strings.Contains(strings.Join(re.Errors, "|"), part) {
		t.Fatalf("want 403 containing %q, got %v", part, err)
	}
}

func TestTwoPhaseMFALogin(t *testing.T) {
	e := newMFAEnv(t, map[string]any{"max_validation_attempts": 10})
	s := upMustLogin(e.d, t, "userpass", "alice", "pw")
	req := s.Auth.MFARequirement
	if s.Auth.ClientToken != "" || req == nil || req.MFARequestID == "" || len(s.Warnings) != 1 || s.Warnings[0] != mfaWarningText {
		t.Fatalf("first phase: %+v %v", s.Auth, s.Warnings)
	}
	anyOf := req.MFAConstraints["corp-mfa"].Any
	if len(req.MFAConstraints) != 1 || len(anyOf) != 1 || anyOf[0].ID != e.methodID || anyOf[0].Type != "totp" ||
		!anyOf[0].UsesPasscode || anyOf[0].Name != "corp" {
		t.Fatalf("constraints %+v", req.MFAConstraints)
	}

	for _, tc := range []struct{ body, msg string }{
		{`{"mfa_payload":{}}`, "missing request ID"},
		{`{"mfa_request_id":"x"}`, "missing mfa payload"},
		{`{"mfa_request_id":"5e1f3b0c-0000-0000-0000-000000000000","mfa_payload":{"corp":["123456"]}}`, "invalid request ID"},
		{`{"mfa_request_id":"` + req.MFARequestID + `","mfa_payload":{"corp":["1","2"]}}`, "found multiple passcodes for the same MFA method"},
		{`{"mfa_request_id":"` + req.MFARequestID + `","mfa_payload":{"corp":["otp=1"]}}`, "found an invalid MFA cred: otp=1"},
	} {
		status, _, body := raw(t, "PUT", e.d.URL+"/v1/sys/mfa/validate", "", tc.body)
		if errs := errorsOf(body); status != 400 || len(errs) != 1 || errs[0] != tc.msg {
			t.Errorf("validate %s: %d %v, want 400 %q", tc.body, status, body, tc.msg)
		}
	}

	good := e.code(t, e.secret)
	wrong := "000000"
	if wrong == good {
		wrong = "111111"
	}
	_, err := e.validate(t, req.MFARequestID, e.methodID, wrong)
	wantForbiddenContaining(t, err, "failed to satisfy enforcement corp-mfa. error: 1 error occurred:\n\t* MFA credentials not supplied or incorrect")
	// Codes are taken as typed: padding is not trimmed away.
	for _, bad := range []string{" " + good, good + " ", "+" + good[1:], good[:5]} {
		_, err := e.validate(t, req.MFARequestID, e.methodID, bad)
		wantForbiddenContaining(t, err, "MFA credentials not supplied or incorrect")
	}
	// Failures put the login back; the method's name works as the key.
	ok, err := e.validate(t, req.MFARequestID, "corp", "passcode="+good)
	if err != nil || ok.Auth == nil || ok.Auth.ClientToken == "" || ok.Auth.EntityID != e.entityID || ok.Auth.MFARequirement != nil {
		t.Fatalf("validate: %+v %v", ok, err)
	}
	self, err := e.d.VaultClient(t, ok.Auth.ClientToken).Auth().Token().LookupSelf()
	if err != nil || self.Data["entity_id"] != e.entityID {
		t.Fatalf("lookup-self %v %v", self, err)
	}
	_, err = e.validate(t, req.MFARequestID, e.methodID, good)
	idWantError(t, err, 400, "invalid request ID")

	// The code just used is refused on a new login, until the next step.
	second := e.pending(t)
	_, err = e.validate(t, second, e.methodID, good)
	wantForbiddenContaining(t, err, "MFA credentials not supplied or incorrect")
	e.clock.Advance(30 * time.Second)
	if _, err := e.validate(t, second, e.methodID, e.code(t, e.secret)); err != nil {
		t.Fatalf("next step's code: %v", err)
	}

	// Pending logins expire after 300 s.
	third := e.pending(t)
	e.clock.Advance(301 * time.Second)
	_, err = e.validate(t, third, e.methodID, e.code(t, e.secret))
	idWantError(t, err, 400, "invalid request ID")
}

func TestMFALockoutAfterMaxAttempts(t *testing.T) {
	e := newMFAEnv(t, map[string]any{"max_validation_attempts": 3})
	req := e.pending(t)
	good := e.code(t, e.secret)
	for i := 0; i < 3; i++ {
		_, err := e.validate(t, req, e.methodID, "12345"+string(rune('0'+i)))
		wantForbiddenContaining(t, err, "MFA credentials not supplied or incorrect")
	}
	_, err := e.validate(t, req, e.methodID, good)
	wantForbiddenContaining(t, err, "maximum TOTP validation attempts 4 exceeded the allowed attempts 3")
	// The lockout holds for a new login too: it is per entity and method.
	_, err = e.validate(t, e.pending(t), e.methodID, good)
	wantForbiddenContaining(t, err, "maximum TOTP validation attempts")
	e.clock.Advance(30 * time.Second)
	if _, err := e.validate(t, req, e.methodID, e.code(t, e.secret)); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestConcurrentValidationsWithOneCode(t *testing.T) {
	e := newMFAEnv(t, nil)
	reqs := make([]string, 6)
	for i := range reqs {
		reqs[i] = e.pending(t)
	}
	code := e.code(t, e.secret)
	errs := idRace(len(reqs), func(i int) error {
		_, err := e.validate(t, reqs[i], e.methodID, code)
		return err
	})
	if wins := idWins(errs, func(err error) { wantForbiddenContaining(t, err, "MFA credentials not supplied or incorrect") }); wins != 1 {
		t.Fatalf("%d of %d validations with one code succeeded, want 1", wins, len(reqs))
	}

	// One request validated concurrently yields one token.
	e.clock.Advance(30 * time.Second)
	req := e.pending(t)
	code = e.code(t, e.secret)
	errs = idRace(6, func(int) error {
		_, err := e.validate(t, req, e.methodID, code)
		return err
	})
	if wins := idWins(errs, func(error) {}); wins != 1 {
		t.Fatalf("%d validations of one request succeeded, want 1", wins)
	}
}

func TestMFAHeaderSinglePhase(t *testing.T) {
	e := newMFAEnv(t, nil)
	login := func(creds ...string) (*vaultapi.Secret, error) {
		c := e.d.VaultClient(t, "")
		c.SetMFACreds(creds)
		return c.Logical().Write("auth/userpass/login/alice", map[string]any{"password": "pw"})
	}
	code := e.code(t, e.secret)
	s, err := login("corp:" + code)
	if err != nil || s.Auth == nil || s.Auth.ClientToken == "" || s.Auth.MFARequirement != nil {
		t.Fatalf("header login: %+v %v", s, err)
	}
	_, err = login("corp:" + code)
	idWantError(t, err, 403, "permission denied")
	_, err = login(e.methodID + ":000000")
	idWantError(t, err, 403, "permission denied")
	e.clock.Advance(30 * time.Second)
	if s, err := login(e.methodID+":passcode="+e.code(t, e.secret), "unknown-method:1"); err != nil || s.Auth.ClientToken == "" {
		t.Fatalf("header by id: %+v %v", s, err)
	}
	for _, tc := range []struct{ header, msg string }{
		{":123456", `failed to parse X-Vault-MFA header: invalid data in header "X-Vault-MFA"; missing method name or ID`},
		{"corp:", `failed to parse X-Vault-MFA header: invalid data in header "X-Vault-MFA"; missing method value`},
	} {
		hreq, _ := http.NewRequest("POST", e.d.URL+"/v1/auth/userpass/login/alice", strings.NewReader(`{"password":"pw"}`))
		hreq.Header.Set("X-Vault-MFA", tc.header)
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(buf.String(), strings.ReplaceAll(tc.msg, `"`, `\"`)) {
			t.Errorf("header %q: %d %s", tc.header, resp.StatusCode, buf.String())
		}
	}

	// A header on a login nothing enforces is ignored with a warning.
	idEnableUserpass(t, e.c, "plain")
	upUser(t, e.c, "plain", "bob", "pw", nil)
	c := e.d.VaultClient(t, "")
	c.SetMFACreds([]string{"corp:123456"})
	s, err = c.Logical().Write("auth/plain/login/bob", map[string]any{"password": "pw"})
	if err != nil || s.Auth.ClientToken == "" || len(s.Warnings) != 1 || s.Warnings[0] != "Found MFA header but failed to find MFA Enforcement Config" {
		t.Fatalf("header without enforcement: %+v %v", s, err)
	}
}

func TestTOTPEnrollmentPaths(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	upUser(t, c, "userpass", "alice", "pw", map[string]any{"token_policies": "enrol"})
	if err := c.Sys().PutPolicy("enrol", `path "identity/mfa/method/totp/generate" { capabilities = ["update"] }`); err != nil {
		t.Fatal(err)
	}
	s := upMustLogin(d, t, "userpass", "alice", "pw")
	entityID := s.Auth.EntityID
	method := idCreateTOTP(t, c, map[string]any{"issuer": "Example Corp", "qr_size": 120, "method_name": "phone"})

	gen := idWrite(t, c, "identity/mfa/method/totp/admin-generate", map[string]any{"method_id": method, "entity_id": entityID})
	url := gen.Data["url"].(string)
	prefix := "otpauth://totp/Example%20Corp:" + entityID + "?algorithm=SHA1&digits=6&issuer=Example%20Corp&period=30&secret="
	if !strings.HasPrefix(url, prefix) || len(strings.TrimPrefix(url, prefix)) != 32 {
		t.Fatalf("url %q, want prefix %q and a 20-byte secret", url, prefix)
	}
	pngBytes, err := base64.StdEncoding.DecodeString(gen.Data["barcode"].(string))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil || img.Bounds().Dx() != 120 || img.Bounds().Dy() != 120 {
		t.Fatalf("barcode: %v %v", img, err)
	}
	again := idWrite(t, c, "identity/mfa/method/totp/admin-generate", map[string]any{"method_id": method, "entity_id": entityID})
	if again.Data != nil || len(again.Warnings) != 1 || again.Warnings[0] != `Entity already has a secret for MFA method "phone"` {
		t.Fatalf("second generate: %+v", again)
	}
	// generate acts for the caller's own entity.
	alice := d.VaultClient(t, s.Auth.ClientToken)
	other := idCreateTOTP(t, c, map[string]any{"issuer": "iamd", "qr_size": 0})
	own, err := alice.Logical().Write("identity/mfa/method/totp/generate", map[string]any{"method_id": other})
	if err != nil || !strings.Contains(own.Data["url"].(string), ":"+entityID+"?") || own.Data["barcode"] != nil {
		t.Fatalf("generate: %+v %v", own, err)
	}
	if _, err := alice.Logical().Write("identity/mfa/method/totp/admin-generate", map[string]any{"method_id": other, "entity_id": entityID}); err == nil {
		t.Fatal("admin-generate allowed without a policy")
	}

	if _, err := c.Logical().Write("identity/mfa/method/totp/admin-destroy", map[string]any{"method_id": method, "entity_id": entityID}); err != nil {
		t.Fatal(err)
	}
	fresh := idWrite(t, c, "identity/mfa/method/totp/admin-generate", map[string]any{"method_id": method, "entity_id": entityID})
	if fresh.Data["url"] == url || secretOf(t, fresh.Data["url"].(string)) == secretOf(t, url) {
		t.Fatal("regenerated secret equals the destroyed one")
	}

	for _, tc := range []idCase{
		{"identity/mfa/method/totp/admin-generate", `{"method_id":"5e1f3b0c-0000-0000-0000-000000000000","entity_id":"` + entityID + `"}`,
			`configuration for method ID "5e1f3b0c-0000-0000-0000-000000000000" does not exist`},
		{"identity/mfa/method/totp/admin-generate", `{"method_id":"` + method + `","entity_id":"nope"}`, "invalid entity ID"},
		{"identity/mfa/method/totp/admin-generate", `{"entity_id":"` + entityID + `"}`, "missing method ID"},
		{"identity/mfa/method/totp/generate", `{"method_id":"` + method + `"}`, "missing entityID"}, // root has no entity
		{"identity/mfa/method/totp/admin-destroy", `{"method_id":"` + method + `"}`, "missing entity ID"},
	} {
		status, _, body := raw(t, "POST", d.URL+"/v1/"+tc.path, d.RootToken, tc.body)
		if errs := errorsOf(body); status != 400 || len(errs) != 1 || errs[0] != tc.msg {
			t.Errorf("POST %s %s: %d %v, want 400 %q", tc.path, tc.body, status, body, tc.msg)
		}
	}
}

func TestGroupEnforcementAndSelfEnrollment(t *testing.T) {
	clock := newUpClock()
	d := apitest.StartDev(t, apitest.Options{Now: clock.Now})
	c := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, c, "userpass")
	upUser(t, c, "userpass", "bob", "pw", nil)
	upUser(t, c, "userpass", "carol", "pw", nil)
	bobEntity := upMustLogin(d, t, "userpass", "bob", "pw").Auth.EntityID
	method := idCreateTOTP(t, c, map[string]any{"issuer": "iamd", "method_name": "app", "self_enrollment_enabled": true})
	if m := idRead(t, c, "identity/mfa/method/totp/"+method); m["self_enrollment_enabled"] != true {
		t.Fatalf("method read %v", m)
	}
	// bob is in "team", which is in "mfa-required": inherited membership.
	team := idWrite(t, c, "identity/group", map[string]any{"name": "team", "member_entity_ids": []string{bobEntity}}).Data["id"].(string)
	outer := idWrite(t, c, "identity/group", map[string]any{"name": "mfa-required", "member_group_ids": []string{team}}).Data["id"].(string)
	idWrite(t, c, "identity/mfa/login-enforcement/groups", map[string]any{
		"mfa_method_ids": []string{method}, "identity_group_ids": []string{outer},
	})
	if s := upMustLogin(d, t, "userpass", "carol", "pw"); s.Auth.ClientToken == "" {
		t.Fatal("carol is in no enforced group but got an MFA requirement")
	}

	// bob has no secret: the requirement offers one (Vault issue 17441).
	status, _, body := raw(t, "POST", d.URL+"/v1/auth/userpass/login/bob", "", `{"password":"pw"}`)
	if status != 200 {
		t.Fatalf("login: %d %v", status, body)
	}
	req := body["auth"].(map[string]any)["mfa_requirement"].(map[string]any)
	entry := req["mfa_constraints"].(map[string]any)["groups"].(map[string]any)["any"].([]any)[0].(map[string]any)
	offer, ok := entry["self_enrollment"].(map[string]any)
	if !ok || !strings.Contains(offer["url"].(string), ":"+bobEntity+"?") || offer["barcode"] == "" {
		t.Fatalf("no enrolment offer: %v", entry)
	}
	secret := secretOf(t, offer["url"].(string))
	code, _ := totp.GenerateCode(secret, clock.Now())
	reqID := req["mfa_request_id"].(string)
	s, err := d.VaultClient(t, "").Sys().MFAValidate(reqID, map[string]any{"app": []string{code}})
	if err != nil || s.Auth.ClientToken == "" {
		t.Fatalf("validate with the enrolled secret: %+v %v", s, err)
	}
	// The secret now belongs to the entity: no second offer, and
	// admin-generate sees it.
	gen := idWrite(t, c, "identity/mfa/method/totp/admin-generate", map[string]any{"method_id": method, "entity_id": bobEntity})
	if len(gen.Warnings) != 1 {
		t.Fatalf("secret not stored on the entity: %+v", gen)
	}
	status, _, body = raw(t, "POST", d.URL+"/v1/auth/userpass/login/bob", "", `{"password":"pw"}`)
	entry = body["auth"].(map[string]any)["mfa_requirement"].(map[string]any)["mfa_constraints"].(map[string]any)["groups"].(map[string]any)["any"].([]any)[0].(map[string]any)
	if _, offered := entry["self_enrollment"]; offered || status != 200 {
		t.Fatalf("second login offered enrolment again: %v", entry)
	}
}

func TestUserpassUserLockout(t *testing.T) {
	clock := newUpClock()
	d := apitest.StartDev(t, apitest.Options{Now: clock.Now})
	c := d.VaultClient(t, d.RootToken)
	accessor := idEnableUserpass(t, c, "userpass")
	upUser(t, c, "userpass", "alice", "pw", nil)
	idWrite(t, c, "sys/auth/userpass/tune", map[string]any{"user_lockout_config": map[string]any{
		"lockout_threshold": 3, "lockout_duration": "10m", "lockout_counter_reset": "5m",
	}})
	fail := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			_, err := upLogin(d, t, "userpass", "alice", "wrong")
			idWantError(t, err, 400, "invalid username or password")
		}
	}
	fail(3)
	_, err := upLogin(d, t, "userpass", "alice", "pw")
	idWantError(t, err, 403, "permission denied")
	locked := idRead(t, c, "sys/locked-users")
	ns := locked["by_namespace"].([]any)[0].(map[string]any)
	mount := ns["mount_accessors"].([]any)[0].(map[string]any)
	if mount["mount_accessor"] != accessor || mount["alias_identifiers"].([]any)[0] != "alice" {
		t.Fatalf("locked-users %v", locked)
	}
	idWrite(t, c, "sys/locked-users/"+accessor+"/unlock/alice", nil)
	upMustLogin(d, t, "userpass", "alice", "pw")

	// A lockout ends by itself after lockout_duration.
	fail(3)
	clock.Advance(9 * time.Minute)
	_, err = upLogin(d, t, "userpass", "alice", "pw")
	idWantError(t, err, 403, "permission denied")
	clock.Advance(time.Minute)
	upMustLogin(d, t, "userpass", "alice", "pw")

	// Failures further apart than lockout_counter_reset do not add up.
	fail(2)
	clock.Advance(6 * time.Minute)
	fail(2)
	upMustLogin(d, t, "userpass", "alice", "pw")
	if got := idRead(t, c, "sys/locked-users"); got["total"].(interface{ String() string }).String() != "0" {
		t.Fatalf("locked-users after success %v", got)
	}
}

// TestTOTPSkewAndAlgorithms: skew 1 accepts the previous step's code and
// skew 0 does not; SHA256 and SHA512 methods with 8 digits work end to end
// (Vault issue 17389).
func TestTOTPSkewAndAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		name      string
		method    map[string]any
		opts      totp.ValidateOpts
		prevValid bool
	}{
		{"sha1-skew1", map[string]any{"skew": 1}, totp.ValidateOpts{Period: 30, Digits: 6, Algorithm: otp.AlgorithmSHA1}, true},
		{"sha1-skew0", map[string]any{"skew": 0}, totp.ValidateOpts{Period: 30, Digits: 6, Algorithm: otp.AlgorithmSHA1}, false},
		{"sha256-8", map[string]any{"algorithm": "SHA256", "digits": 8, "period": 60},
			totp.ValidateOpts{Period: 60, Digits: 8, Algorithm: otp.AlgorithmSHA256}, true},
		{"sha512-8", map[string]any{"algorithm": "SHA512", "digits": 8},
			totp.ValidateOpts{Period: 30, Digits: 8, Algorithm: otp.AlgorithmSHA512}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newMFAEnv(t, tc.method)
			at := func(d time.Duration) string {
				c, err := totp.GenerateCodeCustom(e.secret, e.clock.Now().Add(d), tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			period := time.Duration(tc.opts.Period) * time.Second
			_, err := e.validate(t, e.pending(t), e.methodID, at(-period))
			if tc.prevValid && err != nil {
				t.Fatalf("previous step's code refused: %v", err)
			}
			if !tc.prevValid {
				wantForbiddenContaining(t, err, "MFA credentials not supplied or incorrect")
			}
			// Two steps back is outside any skew.
			e.clock.Advance(period)
			_, err = e.validate(t, e.pending(t), e.methodID, at(-2*period))
			wantForbiddenContaining(t, err, "MFA credentials not supplied or incorrect")
			if _, err := e.validate(t, e.pending(t), e.methodID, at(0)); err != nil {
				t.Fatalf("current code: %v", err)
			}
		})
	}
}
