package oapi_test

import (
	"net/http"
	"testing"
	"time"

	osc "github.com/outscale/osc-sdk-go/v2"

	"iamd/api/apitest"
)

func TestAccessKeyExpiryEnforced(t *testing.T) {
	clk := &clock{}
	d := apitest.StartDev(t, apitest.Options{Now: clk.Now})
	c, ctx := oscClient(d, d.AccessKey, d.SecretKey, nil)

	exp := time.Now().Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000-0700")
	out, _, err := c.AccessKeyApi.CreateAccessKey(ctx).CreateAccessKeyRequest(osc.CreateAccessKeyRequest{ExpirationDate: &exp}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	k := out.GetAccessKey()
	if k.GetState() != "ACTIVE" || k.GetExpirationDate() != exp || k.GetSecretKey() == "" {
		t.Fatalf("created key %+v", k)
	}
	kc, kctx := oscClient(d, k.GetAccessKeyId(), k.GetSecretKey(), nil)
	if _, _, err := kc.ApiAccessPolicyApi.ReadApiAccessPolicy(kctx).ReadApiAccessPolicyRequest(osc.ReadApiAccessPolicyRequest{}).Execute(); err != nil {
		t.Fatalf("key before expiry: %v", err)
	}

	clk.Advance(11 * time.Minute)
	_, _, err = kc.ApiAccessPolicyApi.ReadApiAccessPolicy(kctx).ReadApiAccessPolicyRequest(osc.ReadApiAccessPolicyRequest{}).Execute()
	wantCode(t, err, "1")
	list, _, err := c.AccessKeyApi.ReadAccessKeys(ctx).ReadAccessKeysRequest(osc.ReadAccessKeysRequest{
		Filters: &osc.FiltersAccessKeys{AccessKeyIds: &[]string{k.GetAccessKeyId()}}}).Execute()
	if err != nil || len(list.GetAccessKeys()) != 1 || list.GetAccessKeys()[0].GetState() != "EXPIRED" {
		t.Fatalf("expired key listed as %+v, %v", list.GetAccessKeys(), err)
	}
}

func TestAccessKeyErrors(t *testing.T) {
	d := apitest.StartDev(t)
	c, ctx := oscClient(d, d.AccessKey, d.SecretKey, nil)
	bad := "tomorrow"
	_, _, err := c.AccessKeyApi.CreateAccessKey(ctx).CreateAccessKeyRequest(osc.CreateAccessKeyRequest{ExpirationDate: &bad}).Execute()
	wantCode(t, err, "4047")
	_, _, err = c.AccessKeyApi.UpdateAccessKey(ctx).UpdateAccessKeyRequest(osc.UpdateAccessKeyRequest{AccessKeyId: "x!"}).Execute()
	wantCode(t, err, "4122")
	st := "SLEEPING"
	_, _, err = c.AccessKeyApi.UpdateAccessKey(ctx).UpdateAccessKeyRequest(osc.UpdateAccessKeyRequest{AccessKeyId: d.AccessKey, State: &st}).Execute()
	wantCode(t, err, "4123")
	_, _, err = c.AccessKeyApi.UpdateAccessKey(ctx).UpdateAccessKeyRequest(osc.UpdateAccessKeyRequest{AccessKeyId: d.AccessKey, ExpirationDate: &bad}).Execute()
	wantCode(t, err, "4123")
	_, _, err = c.AccessKeyApi.DeleteAccessKey(ctx).DeleteAccessKeyRequest(osc.DeleteAccessKeyRequest{AccessKeyId: "AKIAUNKNOWN000000000"}).Execute()
	wantCode(t, err, "5076")
	_, _, err = c.AccessKeyApi.DeleteAccessKey(ctx).DeleteAccessKeyRequest(osc.DeleteAccessKeyRequest{AccessKeyId: ""}).Execute()
	wantCode(t, err, "7000")

	for _, tc := range []struct{ action, body, code string }{
		{"ReadAccessKeys", `{"Colour":"blue"}`, "3001"},
		{"ReadAccessKeys", `{"DryRun":"yes"}`, "4110"},
		{"UpdateApiAccessPolicy", `{"RequireTrustedEnv":"foo bar","MaxAccessKeyExpirationSeconds":0}`, "4110"},
		{"UpdateApiAccessPolicy", `{"RequireTrustedEnv":false}`, "7000"},
		{"UpdateApiAccessPolicy", `{"RequireTrustedEnv":false,"MaxAccessKeyExpirationSeconds":-1}`, "4118"},
		{"CreateCa", `{"CaPem":"not a pem"}`, "4124"},
		{"CreateCa", `{}`, "7000"},
	} {
		r := post(t, d, d.AccessKey, d.SecretKey, tc.action, tc.body)
		if r.Status != http.StatusBadRequest || r.code() != tc.code {
			t.Errorf("%s %s: got %d %v, want 400 %s", tc.action, tc.body, r.Status, r.Body, tc.code)
		}
	}
	// Unsigned or badly signed: code 1, HTTP 401.
	if r := post(t, d, d.AccessKey, "wrong-secret", "ReadAccessKeys", `{}`); r.Status != 401 || r.code() != "1" {
		t.Fatalf("bad signature: %d %v", r.Status, r.Body)
	}
	// DryRun writes nothing.
	dry := true
	if _, _, err := c.AccessKeyApi.CreateAccessKey(ctx).CreateAccessKeyRequest(osc.CreateAccessKeyRequest{DryRun: &dry}).Execute(); err != nil {
		t.Fatal(err)
	}
	list, _, _ := c.AccessKeyApi.ReadAccessKeys(ctx).ReadAccessKeysRequest(osc.ReadAccessKeysRequest{}).Execute()
	if n := len(list.GetAccessKeys()); n != 1 {
		t.Fatalf("%d keys after a dry run, want 1", n)
	}
}

func TestBruteForceLock(t *testing.T) {
	d := apitest.StartDev(t)
	for i := 0; i < 4; i++ {
		if r := post(t, d, d.AccessKey, "wrong-secret", "ReadAccessKeys", `{}`); r.code() != "1" {
			t.Fatalf("attempt %d: %v", i, r.Body)
		}
	}
	r := post(t, d, d.AccessKey, d.SecretKey, "ReadAccessKeys", `{}`)
	if r.Status != http.StatusUnauthorized || r.code() != "13" {
		t.Fatalf("after 4 failures the right secret got %d %v, want 401 code 13", r.Status, r.Body)
	}
}
