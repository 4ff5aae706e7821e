package fsm

import (
	"testing"
	"time"
)

// accessRequests covers the IP shapes the default rule must tell apart:
// IPv4, IPv6, mapped, zoned, malformed and empty, with and without a
// certificate (which the default rule ignores).
var accessRequests = []*AccessRequest{
	{IP: "127.0.0.1"}, {IP: "10.1.2.3"}, {IP: "::1"}, {IP: "2001:db8::7"},
	{IP: "::ffff:192.0.2.1"}, {IP: "fe80::1%eth0"}, {IP: "::ffff:192.0.2.1%eth0"},
	{IP: "not-an-ip"}, {IP: "10.0.0.0/8"}, {IP: ""}, {IP: " 127.0.0.1"},
	{IP: "127.0.0.1", CertsDER: [][]byte{{1, 2, 3}}},
}

// The fast path for an account without rules decides as the default rule
// does once it is written out as a row (the slow path).
func TestAdmitsRequestFastPathMatchesDefaultRule(t *testing.T) {
	const acct = "123456789012"
	f := New()
	seed(t, f)
	now := time.Now()
	fast := f.State()

	tx := f.store.Load().write()
	if err := insert(tx, tableApiAccessPolicy, &ApiAccessPolicy{AccountID: acct, RulesInitialized: true}); err != nil {
		t.Fatal(err)
	}
	if err := insert(tx, tableApiAccessRules, DefaultRule(acct)); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	slow := f.State()
	if !rulesInitialized(slow.tx, acct) || rulesInitialized(fast.tx, acct) {
		t.Fatal("the two states do not differ as the test needs")
	}

	for _, req := range accessRequests {
		for _, a := range []string{acct, ""} {
			want := slow.AdmitsRequest(a, req, now)
			if got := fast.AdmitsRequest(a, req, now); got != want {
				t.Errorf("AdmitsRequest(%q, %q): fast path %v, default rule %v", a, req.IP, got, want)
			}
			want = slow.RequestHasTrustedCert(a, req, now)
			if got := fast.RequestHasTrustedCert(a, req, now); got != want {
				t.Errorf("RequestHasTrustedCert(%q, %q): fast path %v, default rule %v", a, req.IP, got, want)
			}
		}
	}
	if !fast.AdmitsRequest(acct, &AccessRequest{IP: "127.0.0.1"}, now) || fast.AdmitsRequest(acct, &AccessRequest{IP: "bad"}, now) {
		t.Fatal("the default rule must admit a valid address and refuse a malformed one")
	}
}

// The no-rules path costs only the policy row lookup: go-memdb boxes the
// key, builds its index key and a radix transaction (5 allocations). The
// default rule, its id hash and the CA index (13 more) must not return.
func TestAdmitsRequestNoRulesAllocations(t *testing.T) {
	f := New()
	seed(t, f)
	st := f.State()
	req := &AccessRequest{IP: "127.0.0.1"}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { st.AdmitsRequest("123456789012", req, now) }); n > 5 {
		t.Fatalf("AdmitsRequest for an account without rules makes %v allocations, want at most 5", n)
	}
}
