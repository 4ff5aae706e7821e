package s4admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

var ctx = context.Background()

// call sends a JSON request with an optional Authorization header and
// decodes the JSON answer (nil for none).
func call(t *testing.T, d *apitest.Dev, method, path, auth string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

// want checks a status and, for errors, S4's {"error": msg}.
func want(t *testing.T, status int, body map[string]any, wantStatus int, wantErr string) {
	t.Helper()
	if status != wantStatus || (wantErr != "" && body["error"] != wantErr) {
		t.Fatalf("got %d %v, want %d %q", status, body, wantStatus, wantErr)
	}
}

func iamWith(d *apitest.Dev, ak, sk string) *iam.Client {
	return iam.New(iam.Options{BaseEndpoint: aws.String(d.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""), RetryMaxAttempts: 1})
}

func signs(t *testing.T, d *apitest.Dev, ak, sk string) bool {
	t.Helper()
	_, err := iamWith(d, ak, sk).GetUser(ctx, &iam.GetUserInput{})
	if err == nil {
		return true
	}
	var ae smithy.APIError
	if ok := errors.As(err, &ae); !ok || ae.ErrorCode() != "InvalidClientTokenId" {
		t.Fatalf("GetUser: %v", err)
	}
	return false
}

func TestS4AdminAPIEndToEnd(t *testing.T) {
	d := apitest.StartDev(t)
	cfg := vaultapi.DefaultConfig()
	cfg.Address = d.URL
	v, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v.SetToken(d.RootToken)
	if err := v.Sys().EnableAuthWithOptions("userpass", &vaultapi.EnableAuthOptions{Type: "userpass"}); err != nil {
		t.Fatal(err)
	}
	// S4 SuperUsers administer users; giving them passwords needs the
	// userpass write too.
	if err := v.Sys().PutPolicy("s4-superuser", `path "sys/s4/admin" { capabilities = ["update"] }
path "auth/userpass/users/*" { capabilities = ["create", "update"] }`); err != nil {
		t.Fatal(err)
	}

	// S4's middleware answers.
	s, b := call(t, d, "GET", "/api/admin/users", "", nil)
	want(t, s, b, 401, "Missing Authorization header")
	s, b = call(t, d, "GET", "/api/admin/users", "Basic cm9vdDpw", nil)
	want(t, s, b, 400, "Invalid Authorization header format")
	s, b = call(t, d, "GET", "/api/admin/users", "Bearer hvs.nope", nil)
	want(t, s, b, 401, "Invalid or expired token")

	// The root token bootstraps an S4 SuperUser with a password.
	root := "Bearer " + d.RootToken
	s, b = call(t, d, "POST", "/api/admin/users", root, map[string]string{"username": "admin", "password": "password12345", "role": "SuperUser"})
	want(t, s, b, 201, "")
	if b["role"] != "SuperUser" || b["is_active"] != true || b["access_key"] != nil {
		t.Fatalf("created: %v", b)
	}

	// Login: bad password 401 (S4: 500); good password: a token with expiry.
	s, b = call(t, d, "POST", "/api/admin/login", "", map[string]string{"username": "admin", "password": "wrong-password"})
	want(t, s, b, 401, "Invalid credentials")
	s, b = call(t, d, "POST", "/api/admin/login", "", map[string]string{"username": "admin", "password": "password12345"})
	want(t, s, b, 200, "")
	if b["token"] == "" || b["expires_at"] == nil {
		t.Fatalf("login: %v", b)
	}
	admin := "Bearer " + b["token"].(string)

	// S4's docs flow: create alice (Writer), issue her credentials.
	s, b = call(t, d, "POST", "/api/admin/users", admin, map[string]string{"username": "alice", "password": "alice123", "role": "Writer"})
	want(t, s, b, 201, "")
	id := b["id"].(string)
	s, b = call(t, d, "POST", "/api/admin/users", admin, map[string]string{"username": "alice", "password": "alice123", "role": "Writer"})
	want(t, s, b, 409, "User already exists")
	s, b = call(t, d, "POST", "/api/admin/users", admin, map[string]string{"username": "a!", "role": "Writer"})
	want(t, s, b, 400, "Username must be 3 to 32 letters, digits or underscores")
	s, b = call(t, d, "POST", "/api/admin/users", admin, map[string]string{"username": "bob", "role": "Owner"})
	want(t, s, b, 400, "Role must be Reader, Writer or SuperUser")
	s, b = call(t, d, "POST", "/api/admin/users", admin, map[string]string{"username": "carol", "password": "", "role": "reader"})
	want(t, s, b, 201, "") // no password: no login, credentials only

	// A Writer's token is not an admin's.
	s, b = call(t, d, "POST", "/api/admin/login", "", map[string]string{"username": "alice", "password": "alice123"})
	want(t, s, b, 200, "")
	s, b = call(t, d, "GET", "/api/admin/users", "Bearer "+b["token"].(string), nil)
	want(t, s, b, 403, "Forbidden")

	s, b = call(t, d, "POST", "/api/admin/users/"+id+"/credentials", admin, nil)
	want(t, s, b, 200, "")
	ak1, sk1 := b["access_key"].(string), b["secret_key"].(string)
	if !regexp.MustCompile(`^S4AK[A-Z0-9]{20}$`).MatchString(ak1) || len(sk1) != 40 {
		t.Fatalf("credential: %v", b)
	}
	if !signs(t, d, ak1, sk1) {
		t.Fatal("new credential does not sign")
	}

	// The user list and the user show the role and the credential.
	s, b = call(t, d, "GET", "/api/admin/users", admin, nil)
	want(t, s, b, 200, "")
	users := b["users"].([]any)
	if len(users) != 3 {
		t.Fatalf("users: %v", users)
	}
	s, b = call(t, d, "GET", "/api/admin/users/"+id, admin, nil)
	want(t, s, b, 200, "")
	if b["username"] != "alice" || b["role"] != "Writer" || b["access_key"] != ak1 {
		t.Fatalf("user: %v", b)
	}

	// Rotation with overlap: both sign until the old is deleted.
	s, b = call(t, d, "POST", "/api/admin/users/"+id+"/credentials", admin, nil)
	want(t, s, b, 200, "")
	ak2, sk2 := b["access_key"].(string), b["secret_key"].(string)
	if !signs(t, d, ak1, sk1) || !signs(t, d, ak2, sk2) {
		t.Fatal("overlapping credentials do not both sign")
	}
	s, b = call(t, d, "GET", "/api/admin/users/"+id+"/credentials", admin, nil)
	if want(t, s, b, 200, ""); len(b["credentials"].([]any)) != 2 {
		t.Fatalf("credentials: %v", b)
	}
	s, b = call(t, d, "DELETE", "/api/admin/users/"+id+"/credentials?access_key="+ak1, admin, nil)
	want(t, s, b, 204, "")
	if signs(t, d, ak1, sk1) || !signs(t, d, ak2, sk2) {
		t.Fatal("after deleting the old credential: old must fail, new must sign")
	}
	// DELETE without a key clears them all, as S4's does.
	s, b = call(t, d, "DELETE", "/api/admin/users/"+id+"/credentials", admin, nil)
	want(t, s, b, 204, "")
	if signs(t, d, ak2, sk2) {
		t.Fatal("deleted credential still signs")
	}

	// An admin token that may not write userpass logins creates users
	// without passwords only.
	if err := v.Sys().PutPolicy("users-only", `path "sys/s4/admin" { capabilities = ["update"] }`); err != nil {
		t.Fatal(err)
	}
	lim, err := v.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"users-only"}})
	if err != nil {
		t.Fatal(err)
	}
	s, b = call(t, d, "POST", "/api/admin/users", "Bearer "+lim.Auth.ClientToken, map[string]string{"username": "dave", "password": "dave-password-1", "role": "Reader"})
	want(t, s, b, 403, "Forbidden")
	s, b = call(t, d, "POST", "/api/admin/users", "Bearer "+lim.Auth.ClientToken, map[string]string{"username": "dave", "role": "Reader"})
	want(t, s, b, 201, "") // the refused attempt created nothing

	// Unknown users: 404 (S4: 500).
	for _, m := range []string{"GET", "POST", "DELETE"} {
		s, b = call(t, d, m, "/api/admin/users/AIDANOSUCHUSER000000/credentials", admin, nil)
		want(t, s, b, 404, "User not found")
	}
	s, b = call(t, d, "GET", "/api/admin/users/AIDANOSUCHUSER000000", admin, nil)
	want(t, s, b, 404, "User not found")

	// Revoking the admin's token ends its admin access at once.
	if err := v.Auth().Token().RevokeTree(admin[len("Bearer "):]); err != nil {
		t.Fatal(err)
	}
	s, b = call(t, d, "GET", "/api/admin/users", admin, nil)
	want(t, s, b, 401, "Invalid or expired token")
}
