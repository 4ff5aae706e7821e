package oapi_test

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"
	osc "github.com/outscale/osc-sdk-go/v2"

	"iamd/api/apitest"
)

// TestCARulesOverTLS: a rule by CA and CN admits only certificates from
// that CA with that CN once the IP-only default rule no longer admits
// 127.0.0.1; the Vault dialect is held to the same rules.
func TestCARulesOverTLS(t *testing.T) {
	d, roots, p := startTLS(t)
	ca1, ca2 := p.newCA("team CA"), p.newCA("other CA")
	alice, bob, mallory := ca1.issue(t, "alice", false), ca1.issue(t, "bob", false), ca2.issue(t, "alice", false)

	ac, actx := oscClient(d, d.AccessKey, d.SecretKey, httpsClient(roots, &alice))
	created, _, err := ac.CaApi.CreateCa(actx).CreateCaRequest(osc.CreateCaRequest{CaPem: ca1.PEM, Description: osc.PtrString("team")}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	caID := created.Ca.GetCaId()
	if len(created.Ca.GetCaFingerprint()) != 40 {
		t.Fatalf("fingerprint %q", created.Ca.GetCaFingerprint())
	}
	cas, _, err := ac.CaApi.ReadCas(actx).ReadCasRequest(osc.ReadCasRequest{Filters: &osc.FiltersCa{CaIds: &[]string{caID}}}).Execute()
	if err != nil || len(cas.GetCas()) != 1 {
		t.Fatalf("ReadCas %+v %v", cas, err)
	}
	if _, _, err := ac.ApiAccessRuleApi.CreateApiAccessRule(actx).CreateApiAccessRuleRequest(osc.CreateApiAccessRuleRequest{
		CaIds: &[]string{caID}, Cns: &[]string{"alice"}}).Execute(); err != nil {
		t.Fatal(err)
	}
	rules, _, _ := ac.ApiAccessRuleApi.ReadApiAccessRules(actx).ReadApiAccessRulesRequest(osc.ReadApiAccessRulesRequest{}).Execute()
	var def string
	for _, r := range rules.GetApiAccessRules() {
		if len(r.GetCaIds()) == 0 {
			def = r.GetApiAccessRuleId()
		}
	}
	// Narrow the default rule to a range 127.0.0.1 is not in: admitted,
	// since alice's certificate still satisfies the CA rule.
	if _, _, err := ac.ApiAccessRuleApi.UpdateApiAccessRule(actx).UpdateApiAccessRuleRequest(osc.UpdateApiAccessRuleRequest{
		ApiAccessRuleId: def, IpRanges: &[]string{"192.0.2.0/24"}}).Execute(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		code string
		c    *osc.APIClient
	}{
		{"alice from the CA", "", ac},
		{"no certificate", "14", mustClient(d, roots, nil)},
		{"bob: wrong CN", "14", mustClient(d, roots, &bob)},
		{"alice from another CA", "14", mustClient(d, roots, &mallory)},
	} {
		_, _, err := tc.c.ApiAccessPolicyApi.ReadApiAccessPolicy(actx).ReadApiAccessPolicyRequest(osc.ReadApiAccessPolicyRequest{}).Execute()
		if got := oapiCode(t, err); got != tc.code {
			t.Errorf("%s: got code %q (%v), want %q", tc.name, got, err, tc.code)
		}
	}

	// The Vault dialect: the root token without a certificate is refused.
	vcfg := d.VaultClient(t, d.RootToken).CloneConfig()
	vcfg.HttpClient = httpsClient(roots, nil)
	if _, err := vaultWith(t, vcfg, d.RootToken).Auth().Token().LookupSelf(); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("vault without certificate: %v", err)
	}
	vcfg.HttpClient = httpsClient(roots, &alice)
	if _, err := vaultWith(t, vcfg, d.RootToken).Auth().Token().LookupSelf(); err != nil {
		t.Fatalf("vault with alice's certificate: %v", err)
	}

	// Self-lockout: alice may not narrow the CA rule to bob.
	rules, _, _ = ac.ApiAccessRuleApi.ReadApiAccessRules(actx).ReadApiAccessRulesRequest(osc.ReadApiAccessRulesRequest{
		Filters: &osc.FiltersApiAccessRule{CaIds: &[]string{caID}}}).Execute()
	caRule := rules.GetApiAccessRules()[0].GetApiAccessRuleId()
	_, _, err = ac.ApiAccessRuleApi.UpdateApiAccessRule(actx).UpdateApiAccessRuleRequest(osc.UpdateApiAccessRuleRequest{
		ApiAccessRuleId: caRule, CaIds: &[]string{caID}, Cns: &[]string{"bob"}}).Execute()
	wantCode(t, err, "4118")
	// The CA is in use: 409.
	_, _, err = ac.CaApi.DeleteCa(actx).DeleteCaRequest(osc.DeleteCaRequest{CaId: caID}).Execute()
	wantCode(t, err, "9000")
}

func mustClient(d *apitest.Dev, roots *x509.CertPool, cert *tls.Certificate) *osc.APIClient {
	c, _ := oscClient(d, d.AccessKey, d.SecretKey, httpsClient(roots, cert))
	return c
}

func vaultWith(t *testing.T, cfg *vaultapi.Config, token string) *vaultapi.Client {
	t.Helper()
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}
