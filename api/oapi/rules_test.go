package oapi_test

import (
	"sync"
	"testing"
	"time"

	osc "github.com/outscale/osc-sdk-go/v2"

	"iamd/api/apitest"
)

func TestRulesLastRuleSelfLockoutAndDryRun(t *testing.T) {
	d := apitest.StartDev(t)
	c, ctx := oscClient(d, d.AccessKey, d.SecretKey, nil)
	rules, _, err := c.ApiAccessRuleApi.ReadApiAccessRules(ctx).ReadApiAccessRulesRequest(osc.ReadApiAccessRulesRequest{}).Execute()
	if err != nil || len(rules.GetApiAccessRules()) != 1 {
		t.Fatalf("default rules %+v %v", rules, err)
	}
	def := rules.GetApiAccessRules()[0].GetApiAccessRuleId()

	// Only rule: deleting it is refused (4118), dry run too.
	dry := true
	_, _, err = c.ApiAccessRuleApi.DeleteApiAccessRule(ctx).DeleteApiAccessRuleRequest(osc.DeleteApiAccessRuleRequest{ApiAccessRuleId: def, DryRun: &dry}).Execute()
	wantCode(t, err, "4118")
	_, _, err = c.ApiAccessRuleApi.DeleteApiAccessRule(ctx).DeleteApiAccessRuleRequest(osc.DeleteApiAccessRuleRequest{ApiAccessRuleId: def}).Execute()
	wantCode(t, err, "4118")

	// A rule for another range: deleting the default one would lock this
	// caller (127.0.0.1) out, so it is refused; DryRun says so too.
	other, _, err := c.ApiAccessRuleApi.CreateApiAccessRule(ctx).CreateApiAccessRuleRequest(osc.CreateApiAccessRuleRequest{
		IpRanges: &[]string{"10.0.0.0/8", "2001:db8::1"}, Description: osc.PtrString("office")}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ApiAccessRuleApi.DeleteApiAccessRule(ctx).DeleteApiAccessRuleRequest(osc.DeleteApiAccessRuleRequest{ApiAccessRuleId: def, DryRun: &dry}).Execute()
	wantCode(t, err, "4118")
	_, _, err = c.ApiAccessRuleApi.UpdateApiAccessRule(ctx).UpdateApiAccessRuleRequest(osc.UpdateApiAccessRuleRequest{
		ApiAccessRuleId: def, IpRanges: &[]string{"192.0.2.0/24"}}).Execute()
	wantCode(t, err, "4118")
	// An admitted update, dry run: nothing changes.
	r := post(t, d, d.AccessKey, d.SecretKey, "UpdateApiAccessRule",
		`{"ApiAccessRuleId":"`+def+`","IpRanges":["127.0.0.0/8"],"DryRun":true}`)
	if r.Status != 200 || r.Body["DryRun"] != true || len(r.Body["ApiAccessRules"].([]any)) != 2 {
		t.Fatalf("dry run: %d %v", r.Status, r.Body)
	}
	// Bad inputs.
	_, _, err = c.ApiAccessRuleApi.CreateApiAccessRule(ctx).CreateApiAccessRuleRequest(osc.CreateApiAccessRuleRequest{Description: osc.PtrString("x")}).Execute()
	wantCode(t, err, "4118")
	_, _, err = c.ApiAccessRuleApi.CreateApiAccessRule(ctx).CreateApiAccessRuleRequest(osc.CreateApiAccessRuleRequest{IpRanges: &[]string{"300.1.1.1"}}).Execute()
	wantCode(t, err, "4118")
	_, _, err = c.ApiAccessRuleApi.CreateApiAccessRule(ctx).CreateApiAccessRuleRequest(osc.CreateApiAccessRuleRequest{CaIds: &[]string{"ca-00000000000000000000000000000000"}}).Execute()
	wantCode(t, err, "4122")
	// Deleting the other rule is fine; the default one is then last again.
	if _, _, err := c.ApiAccessRuleApi.DeleteApiAccessRule(ctx).DeleteApiAccessRuleRequest(osc.DeleteApiAccessRuleRequest{
		ApiAccessRuleId: other.ApiAccessRule.GetApiAccessRuleId()}).Execute(); err != nil {
		t.Fatal(err)
	}
}

// TestPolicyInvariants: max > 0 needs every key to expire within it; keys
// created afterwards must; trusted env needs CA rules.
func TestPolicyInvariants(t *testing.T) {
	d := apitest.StartDev(t)
	c, ctx := oscClient(d, d.AccessKey, d.SecretKey, nil)
	upd := func(max int64, trusted bool) error {
		_, _, err := c.ApiAccessPolicyApi.UpdateApiAccessPolicy(ctx).UpdateApiAccessPolicyRequest(osc.UpdateApiAccessPolicyRequest{
			MaxAccessKeyExpirationSeconds: max, RequireTrustedEnv: trusted}).Execute()
		return err
	}
	wantCode(t, upd(99000000, false), "4118") // the root key never expires
	wantCode(t, upd(0, true), "4118")
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if _, _, err := c.AccessKeyApi.UpdateAccessKey(ctx).UpdateAccessKeyRequest(osc.UpdateAccessKeyRequest{
		AccessKeyId: d.AccessKey, ExpirationDate: &exp}).Execute(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, upd(1800, false), "4118") // the key lives longer than that
	if err := upd(7200, false); err != nil {
		t.Fatal(err)
	}
	wantCode(t, upd(7200, true), "4118") // the default rule names no CA
	_, _, err := c.AccessKeyApi.CreateAccessKey(ctx).CreateAccessKeyRequest(osc.CreateAccessKeyRequest{}).Execute()
	wantCode(t, err, "4118")
	far := time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
	_, _, err = c.AccessKeyApi.CreateAccessKey(ctx).CreateAccessKeyRequest(osc.CreateAccessKeyRequest{ExpirationDate: &far}).Execute()
	wantCode(t, err, "4118")
	// OUTSCALE T5924: an update without ExpirationDate clears it, which
	// the policy now refuses.
	_, _, err = c.AccessKeyApi.UpdateAccessKey(ctx).UpdateAccessKeyRequest(osc.UpdateAccessKeyRequest{
		AccessKeyId: d.AccessKey, State: osc.PtrString("ACTIVE")}).Execute()
	wantCode(t, err, "4118")
	pol, _, err := c.ApiAccessPolicyApi.ReadApiAccessPolicy(ctx).ReadApiAccessPolicyRequest(osc.ReadApiAccessPolicyRequest{}).Execute()
	if err != nil || pol.ApiAccessPolicy.GetMaxAccessKeyExpirationSeconds() != 7200 {
		t.Fatalf("policy %+v %v", pol, err)
	}
}

// TestPolicyRacesKeyCreation: a policy requiring expiry and a key without
// one, proposed at the same time: exactly one of them wins, every round.
func TestPolicyRacesKeyCreation(t *testing.T) {
	d := apitest.StartDev(t)
	c, ctx := oscClient(d, d.AccessKey, d.SecretKey, nil)
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if _, _, err := c.AccessKeyApi.UpdateAccessKey(ctx).UpdateAccessKeyRequest(osc.UpdateAccessKeyRequest{
		AccessKeyId: d.AccessKey, ExpirationDate: &exp}).Execute(); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 8; round++ {
		var wg sync.WaitGroup
		var polErr, keyErr error
		var keyID string
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _, polErr = c.ApiAccessPolicyApi.UpdateApiAccessPolicy(ctx).UpdateApiAccessPolicyRequest(osc.UpdateApiAccessPolicyRequest{
				MaxAccessKeyExpirationSeconds: 7200}).Execute()
		}()
		go func() {
			defer wg.Done()
			var out osc.CreateAccessKeyResponse
			out, _, keyErr = c.AccessKeyApi.CreateAccessKey(ctx).CreateAccessKeyRequest(osc.CreateAccessKeyRequest{}).Execute()
			k := out.GetAccessKey()
			keyID = k.GetAccessKeyId()
		}()
		wg.Wait()
		if (polErr == nil) == (keyErr == nil) {
			t.Fatalf("round %d: policy %v, key %v: want exactly one to succeed", round, polErr, keyErr)
		}
		// Back to the start: no policy, no extra key.
		if keyErr == nil {
			if _, _, err := c.AccessKeyApi.DeleteAccessKey(ctx).DeleteAccessKeyRequest(osc.DeleteAccessKeyRequest{AccessKeyId: keyID}).Execute(); err != nil {
				t.Fatal(err)
			}
		} else {
			wantCode(t, keyErr, "4118")
			if _, _, err := c.ApiAccessPolicyApi.UpdateApiAccessPolicy(ctx).UpdateApiAccessPolicyRequest(osc.UpdateApiAccessPolicyRequest{}).Execute(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
