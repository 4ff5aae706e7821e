package vault_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"iamd/api/apitest"
)

// TestApiAccessPaths: the API access policy, rules and CAs through
// hashicorp/vault/api at sys/security/api-access/*, with dry_run, the
// last-rule and self-lockout refusals, the policy invariants and a CA in use.
func TestApiAccessPaths(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	lg := c.Logical()
	write := func(path string, body map[string]any) map[string]any {
		t.Helper()
		s, err := lg.Write(path, body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return s.Data
	}
	refused := func(err error, status, text string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "Code: "+status) || !strings.Contains(err.Error(), text) {
			t.Fatalf("want %s %q, got %v", status, text, err)
		}
	}

	pol, err := lg.Read("sys/security/api-access/policy")
	if err != nil || pol.Data["max_access_key_expiration_seconds"].(interface{ String() string }).String() != "0" || pol.Data["require_trusted_env"] != false {
		t.Fatalf("default policy %v %v", pol, err)
	}
	// max > 0 while the root key never expires: refused, by Apply's check.
	_, err = lg.Write("sys/security/api-access/policy", map[string]any{"max_access_key_expiration_seconds": 3600, "require_trusted_env": false})
	refused(err, "400", "expir")
	_, err = lg.Write("sys/security/api-access/policy", map[string]any{"require_trusted_env": false})
	refused(err, "400", "max_access_key_expiration_seconds is required")

	// The default rule, listed; narrowing it away from 127.0.0.1 would lock
	// this caller out: refused, and a dry run says the same.
	list, err := lg.List("sys/security/api-access/rules")
	if err != nil || list == nil || len(list.Data["keys"].([]any)) != 1 {
		t.Fatalf("rules %v %v", list, err)
	}
	def := list.Data["keys"].([]any)[0].(string)
	_, err = lg.Write("sys/security/api-access/rules/"+def, map[string]any{"ip_ranges": []string{"192.0.2.0/24"}, "dry_run": true})
	refused(err, "400", "lock you out")
	_, err = lg.Write("sys/security/api-access/rules/"+def, map[string]any{"ip_ranges": []string{"192.0.2.0/24"}})
	refused(err, "400", "lock you out")
	_, err = lg.Delete("sys/security/api-access/rules/" + def)
	refused(err, "400", "last")

	// A loopback rule: a dry run creates nothing.
	dry := write("sys/security/api-access/rules", map[string]any{"ip_ranges": "127.0.0.1", "description": "me", "dry_run": true})
	if dry["dry_run"] != true || len(dry["rules"].([]any)) != 2 {
		t.Fatalf("dry-run create %v", dry)
	}
	if l, _ := lg.List("sys/security/api-access/rules"); len(l.Data["keys"].([]any)) != 1 {
		t.Fatal("dry run created a rule")
	}
	mine := write("sys/security/api-access/rules", map[string]any{"ip_ranges": "127.0.0.1", "description": "me"})
	id := mine["id"].(string)
	if !strings.HasPrefix(id, "aar-") {
		t.Fatalf("rule %v", mine)
	}
	// Now the default rule can go: a dry run first (with the query string,
	// as DELETE carries no body), then for real.
	s, err := lg.DeleteWithData("sys/security/api-access/rules/"+def, map[string][]string{"dry_run": {"true"}})
	if err != nil || s == nil || len(s.Data["rules"].([]any)) != 1 {
		t.Fatalf("dry-run delete %v %v", s, err)
	}
	if _, err := lg.Delete("sys/security/api-access/rules/" + def); err != nil {
		t.Fatal(err)
	}
	got, err := lg.Read("sys/security/api-access/rules/" + id)
	if err != nil || got.Data["description"] != "me" || len(got.Data["ip_ranges"].([]any)) != 1 {
		t.Fatalf("read rule %v %v", got, err)
	}

	// CAs: bad PEM refused; a CA named by a rule cannot be deleted.
	_, err = lg.Write("sys/security/api-access/cas", map[string]any{"ca_pem": "not a certificate"})
	refused(err, "400", "PEM")
	ca := write("sys/security/api-access/cas", map[string]any{"ca_pem": testCAPEM(t), "description": "team"})
	caID := ca["id"].(string)
	if len(ca["fingerprint"].(string)) != 40 {
		t.Fatalf("CA %v", ca)
	}
	write("sys/security/api-access/cas/"+caID, map[string]any{"description": "team CA"})
	if r, err := lg.Read("sys/security/api-access/cas/" + caID); err != nil || r.Data["description"] != "team CA" {
		t.Fatalf("read CA %v %v", r, err)
	}
	// Requiring a certificate on the only rule would refuse this very
	// request (no certificate): refused.
	_, err = lg.Write("sys/security/api-access/rules/"+id, map[string]any{"ip_ranges": "127.0.0.1", "ca_ids": caID})
	refused(err, "400", "lock you out")
	// A POST replaces the rule wholesale: the description is cleared.
	write("sys/security/api-access/rules/"+id, map[string]any{"ip_ranges": "127.0.0.1"})
	if r, _ := lg.Read("sys/security/api-access/rules/" + id); r.Data["description"] != "" {
		t.Fatalf("update is not a full replacement: %v", r.Data)
	}
	write("sys/security/api-access/rules", map[string]any{"ca_ids": []string{caID}, "cns": "alice"})
	_, err = lg.Delete("sys/security/api-access/cas/" + caID)
	refused(err, "400", "still named")
	if s, err := lg.DeleteWithData("sys/security/api-access/cas/"+caID, map[string][]string{"dry_run": {"true"}}); err == nil {
		t.Fatalf("dry-run delete of a CA in use: %v", s)
	}
}

// testCAPEM is a self-signed CA certificate.
func testCAPEM(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "team CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
