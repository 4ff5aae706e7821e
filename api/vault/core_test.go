package vault_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

// raw sends a request and returns status, headers and decoded JSON body.
func raw(t *testing.T, method, url, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, url, b)
		}
	}
	return resp.StatusCode, resp.Header, out
}

func errorsOf(body map[string]any) []string {
	var out []string
	for _, e := range body["errors"].([]any) {
		out = append(out, e.(string))
	}
	return out
}

func TestEnvelopeHasEveryKeyAndExactHeaders(t *testing.T) {
	d := apitest.StartDev(t)
	status, hdr, body := raw(t, "GET", d.URL+"/v1/auth/token/lookup-self", d.RootToken, "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if hdr.Get("Content-Type") != "application/json" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", hdr)
	}
	for _, k := range []string{"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth", "mount_type"} {
		if _, ok := body[k]; !ok {
			t.Errorf("envelope lacks %q", k)
		}
	}
	data := body["data"].(map[string]any)
	if data["expire_time"] != nil || data["ttl"].(float64) != 0 || data["id"] != "root" {
		t.Fatalf("root token lookup: %v", data)
	}
	if body["mount_type"] != "token" {
		t.Fatalf("mount_type %v on auth/token/, want token", body["mount_type"])
	}
	if _, _, body = raw(t, "GET", d.URL+"/v1/sys/auth", d.RootToken, ""); body["mount_type"] != "system" {
		t.Fatalf("mount_type %v on sys/, want system", body["mount_type"])
	}
}

func TestErrorShapes(t *testing.T) {
	d := apitest.StartDev(t)
	cases := []struct {
		name, method, path, token, body string
		status                          int
		wantErr                         string
	}{
		{"no token", "GET", "/v1/auth/token/lookup-self", "", "", 403, "permission denied"},
		{"bad token", "GET", "/v1/auth/token/lookup-self", "nope", "", 403, "invalid token"},
		{"bearer ignored when wrong", "GET", "/v1/sys/auth", "hvs.bogus", "", 403, "permission denied"},
		{"unknown path", "GET", "/v1/no/such/path", d.RootToken, "", 404, "no handler for route"},
		{"wrong verb", "DELETE", "/v1/auth/token/lookup-self", d.RootToken, "", 405, "unsupported operation"},
		{"unknown token path", "GET", "/v1/auth/token/foo/bar", d.RootToken, "", 404, "unsupported path"},
		{"unknown method", "BREW", "/v1/sys/auth", d.RootToken, "", 405, ""},
		{"malformed json", "POST", "/v1/auth/token/create", d.RootToken, `{"policies":`, 400, "error parsing JSON"},
		{"wrong type", "POST", "/v1/auth/token/create", d.RootToken, `{"num_uses":"lots"}`, 400, `field "num_uses"`},
		{"bad list flag", "GET", "/v1/auth/token/accessors?list=maybe", d.RootToken, "", 400, ""},
		{"json array", "POST", "/v1/auth/token/create", d.RootToken, `[1,2]`, 400, "error parsing JSON"},
		{"patch without merge-patch type", "PATCH", "/v1/sys/auth", d.RootToken, `{}`, 415, "merge-patch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := raw(t, tc.method, d.URL+tc.path, tc.token, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d (body %v)", status, tc.status, body)
			}
			if hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", hdr.Get("Content-Type"))
			}
			errs, ok := body["errors"].([]any)
			if !ok {
				t.Fatalf("no errors array in %v", body)
			}
			if tc.wantErr != "" && !strings.Contains(strings.Join(errorsOf(body), "|"), tc.wantErr) {
				t.Fatalf("errors %v, want %q", errs, tc.wantErr)
			}
		})
	}
	// curl -d sends a form Content-Type; a JSON array is still JSON.
	req, _ := http.NewRequest("POST", d.URL+"/v1/auth/token/create", strings.NewReader(`[1,2]`))
	req.Header.Set("X-Vault-Token", d.RootToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("JSON array sent as a form: status %d, want 400", resp.StatusCode)
	}
	// The node is still up and the root token still works.
	if status, _, _ := raw(t, "GET", d.URL+"/v1/auth/token/lookup-self", d.RootToken, ""); status != 200 {
		t.Fatalf("node unhealthy after bad input: %d", status)
	}
}

func TestHugeBodyIs413(t *testing.T) {
	d := apitest.StartDev(t)
	big := `{"meta":{"k":"` + strings.Repeat("a", 33<<20) + `"}}`
	status, _, body := raw(t, "POST", d.URL+"/v1/auth/token/create", d.RootToken, big)
	if status != 413 {
		t.Fatalf("status %d body %v", status, body)
	}
}

func TestBearerTokenAccepted(t *testing.T) {
	d := apitest.StartDev(t)
	req, _ := http.NewRequest("GET", d.URL+"/v1/auth/token/lookup-self", nil)
	req.Header.Set("Authorization", "Bearer "+d.RootToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("bearer token: %d", resp.StatusCode)
	}
}

func TestTokenLifecycleWithVaultClient(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	secret, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{
		Policies: []string{"web"}, TTL: "1h", DisplayName: "ci", Metadata: map[string]string{"team": "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if secret.Auth.LeaseDuration != 3600 || !secret.Auth.Renewable || secret.Auth.ClientToken == "" {
		t.Fatalf("auth block %+v", secret.Auth)
	}
	if len(secret.Warnings) == 0 || !strings.Contains(secret.Warnings[0], `Policy "web" does not exist`) {
		t.Fatalf("warnings %v", secret.Warnings)
	}
	child := d.VaultClient(t, secret.Auth.ClientToken)
	self, err := child.Auth().Token().LookupSelf()
	if err != nil {
		t.Fatal(err)
	}
	if self.Data["display_name"] != "token-ci" || self.Data["accessor"] != secret.Auth.Accessor {
		t.Fatalf("lookup-self %v", self.Data)
	}
	byAcc, err := root.Auth().Token().LookupAccessor(secret.Auth.Accessor)
	if err != nil || byAcc.Data["id"] != "" {
		t.Fatalf("lookup-accessor %v %v", byAcc, err)
	}
	renewed, err := child.Auth().Token().RenewSelf(7200)
	if err != nil || renewed.Auth.LeaseDuration < 7190 {
		t.Fatalf("renew-self %+v %v", renewed, err)
	}
	// A plain token may not list accessors.
	if _, err := child.Logical().List("auth/token/accessors"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("child listed accessors: %v", err)
	}
	list, err := root.Logical().List("auth/token/accessors")
	if err != nil || len(list.Data["keys"].([]any)) != 2 {
		t.Fatalf("accessors %v %v", list, err)
	}
	// Revoking a parent revokes its children.
	parent, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"root"}})
	if err != nil {
		t.Fatal(err)
	}
	grand, err := d.VaultClient(t, parent.Auth.ClientToken).Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Auth().Token().RevokeTree(parent.Auth.ClientToken); err != nil {
		t.Fatal(err)
	}
	if _, err := d.VaultClient(t, grand.Auth.ClientToken).Auth().Token().LookupSelf(); err == nil {
		t.Fatal("grandchild survived its parent's revocation")
	}
	if err := root.Auth().Token().RevokeTree(secret.Auth.ClientToken); err != nil {
		t.Fatal(err)
	}
	if _, err := child.Auth().Token().LookupSelf(); err == nil {
		t.Fatal("revoked token still works")
	}
	// Limited-use tokens run out.
	once, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{NumUses: 1})
	if err != nil {
		t.Fatal(err)
	}
	oc := d.VaultClient(t, once.Auth.ClientToken)
	if _, err := oc.Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	if _, err := oc.Auth().Token().LookupSelf(); err == nil {
		t.Fatal("num_uses=1 token used twice")
	}
	if err := child.Auth().Token().RevokeSelf(""); err == nil {
		t.Fatal("revoked token revoked itself")
	}
}

func TestListVerbsAndEmptyList(t *testing.T) {
	d := apitest.StartDev(t)
	for _, m := range []string{"LIST", "GET"} {
		url := d.URL + "/v1/auth/token/accessors/"
		if m == "GET" {
			url = d.URL + "/v1/auth/token/accessors?list=true"
		}
		status, _, body := raw(t, m, url, d.RootToken, "")
		if status != 200 || len(body["data"].(map[string]any)["keys"].([]any)) != 1 {
			t.Fatalf("%s: %d %v", m, status, body)
		}
	}
}

func TestHealthAndLeader(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, "")
	h, err := c.Sys().Health()
	if err != nil || !h.Initialized || h.Sealed || h.Standby {
		t.Fatalf("health %+v %v", h, err)
	}
	l, err := c.Sys().Leader()
	if err != nil || !l.IsSelf || l.LeaderAddress != d.URL || l.RaftAppliedIndex == 0 {
		t.Fatalf("leader %+v %v", l, err)
	}
	if age := time.Since(l.ActiveTime); age < 0 || age > time.Minute {
		t.Fatalf("active_time %v on the active node, want when it became leader", l.ActiveTime)
	}
	status, _, _ := raw(t, "GET", d.URL+"/v1/sys/health?activecode=299", "", "")
	if status != 299 {
		t.Fatalf("activecode override: %d", status)
	}
	// Every override is parsed, not only the one the node's state uses.
	for _, q := range []string{"activecode=abc", "sealedcode=abc", "standbycode=12", "uninitcode=x"} {
		if status, _, _ = raw(t, "GET", d.URL+"/v1/sys/health?"+q, "", ""); status != 400 {
			t.Fatalf("sys/health?%s: %d, want 400", q, status)
		}
	}
}
