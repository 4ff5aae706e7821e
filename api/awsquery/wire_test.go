package awsquery_test

import (
	"net/http"
	"strings"
	"testing"

	"iamd/api/apitest"
)

func TestActionErrors(t *testing.T) {
	d := apitest.StartDev(t)
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "NoSuchThing", "Version", "2010-05-08")).
		wantError(t, 400, "InvalidAction")
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Version", "2010-05-08")).
		wantError(t, 400, "MissingAction")
	// Authentication comes before the action check.
	signedPost(t, d, d.AccessKey, "wrong-secret", "iam", timeZero, form("Action", "NoSuchThing")).
		wantError(t, 403, "SignatureDoesNotMatch")
}

func TestUnsignedAndMalformed(t *testing.T) {
	d := apitest.StartDev(t)
	resp, err := http.Post(d.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("unsigned: status %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, d.URL+"/?Action=ListUsers", strings.NewReader("Action=ListUsers"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(t, req).wantError(t, 400, "InvalidQueryParameter")
	req, _ = http.NewRequest(http.MethodPost, d.URL+"/", strings.NewReader("Action=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(t, req).wantError(t, 400, "InvalidQueryParameter")
	req, _ = http.NewRequest(http.MethodPut, d.URL+"/", nil)
	if r := do(t, req); r.Status != 400 || !strings.Contains(r.Body, "InvalidAction") {
		t.Fatalf("PUT /: %d %s", r.Status, r.Body)
	}
	// The Vault dialect is untouched.
	if r := do(t, mustReq(t, http.MethodGet, d.URL+"/v1/sys/health")); r.Status != 200 {
		t.Fatalf("/v1/sys/health: %d %s", r.Status, r.Body)
	}
}

func mustReq(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
