package oapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	osc "github.com/outscale/osc-sdk-go/v2"

	"iamd/api/apitest"
)

// TestApiAccessChangesHeldForApproval: with the change_api_access activity
// guarded, rule and policy changes answer 409 code 9999 naming the
// approval and are carried out only when the contact approves; DryRun and
// CA changes are not held.
func TestApiAccessChangesHeldForApproval(t *testing.T) {
	clk := &clock{}
	d := apitest.StartDev(t, apitest.Options{Now: clk.Now})
	contact := d.SecurityContact(t, clk.Now, "change_api_access")
	// A TOTP time step is used once: each approval comes a step later.
	approve := func(id string) {
		t.Helper()
		clk.Advance(30 * time.Second)
		contact(id)
	}
	c, ctx := oscClient(d, d.AccessKey, d.SecretKey, nil)
	readRules := func() []osc.ApiAccessRule {
		t.Helper()
		out, _, err := c.ApiAccessRuleApi.ReadApiAccessRules(ctx).ReadApiAccessRulesRequest(osc.ReadApiAccessRulesRequest{}).Execute()
		if err != nil {
			t.Fatal(err)
		}
		return out.GetApiAccessRules()
	}

	_, resp, err := c.ApiAccessRuleApi.CreateApiAccessRule(ctx).CreateApiAccessRuleRequest(osc.CreateApiAccessRuleRequest{
		IpRanges: &[]string{"127.0.0.0/8"}, Description: osc.PtrString("loopback")}).Execute()
	id := heldForApproval(t, resp, err)
	if n := len(readRules()); n != 1 {
		t.Fatalf("the held request changed the rules: %d rules", n)
	}
	approve(id)
	rules := readRules()
	if len(rules) != 2 {
		t.Fatalf("rule not created after approval: %+v", rules)
	}
	var added string
	for _, r := range rules {
		if r.GetDescription() == "loopback" {
			added = r.GetApiAccessRuleId()
		}
	}

	// A dry run is a read: answered at once, nothing held or changed.
	if r := post(t, d, d.AccessKey, d.SecretKey, "DeleteApiAccessRule", `{"ApiAccessRuleId":"`+added+`","DryRun":true}`); r.Status != http.StatusOK || r.Body["DryRun"] != true {
		t.Fatalf("dry-run delete: %d %v", r.Status, r.Body)
	}
	_, resp, err = c.ApiAccessRuleApi.DeleteApiAccessRule(ctx).DeleteApiAccessRuleRequest(osc.DeleteApiAccessRuleRequest{ApiAccessRuleId: added}).Execute()
	id = heldForApproval(t, resp, err)
	if len(readRules()) != 2 {
		t.Fatal("the held delete removed the rule")
	}
	approve(id)
	if len(readRules()) != 1 {
		t.Fatal("rule not deleted after approval")
	}

	_, resp, err = c.ApiAccessPolicyApi.UpdateApiAccessPolicy(ctx).UpdateApiAccessPolicyRequest(osc.UpdateApiAccessPolicyRequest{
		MaxAccessKeyExpirationSeconds: 0, RequireTrustedEnv: false}).Execute()
	approve(heldForApproval(t, resp, err))

	// CAs are not guarded.
	if _, _, err := c.CaApi.CreateCa(ctx).CreateCaRequest(osc.CreateCaRequest{CaPem: pki{t}.newCA("team").PEM}).Execute(); err != nil {
		t.Fatalf("CreateCa held or refused: %v", err)
	}
}

// heldForApproval checks OAPI's answer to a held request (409, code 9999)
// and returns the approval id its Details name.
func heldForApproval(t *testing.T, resp *http.Response, err error) string {
	t.Helper()
	var ge osc.GenericOpenAPIError
	if !errors.As(err, &ge) || resp == nil || resp.StatusCode != http.StatusConflict {
		t.Fatalf("not held: %v", err)
	}
	var body struct {
		Errors []struct{ Code, Type, Details string }
	}
	if json.Unmarshal(ge.Body(), &body) != nil || len(body.Errors) != 1 || body.Errors[0].Code != "9999" {
		t.Fatalf("held answer %s", ge.Body())
	}
	m := regexp.MustCompile(`approval id (\S+?);`).FindStringSubmatch(body.Errors[0].Details)
	if m == nil {
		t.Fatalf("no approval id in %q", body.Errors[0].Details)
	}
	return m[1]
}
