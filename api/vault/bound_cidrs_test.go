package vault_test

import (
	"net"
	"net/http"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

// clientFrom is a vault/api client whose connections leave from the local
// address ip (any 127.x address is loopback on Linux), so the server sees
// that client address. It skips the test where ip cannot be bound.
func clientFrom(t *testing.T, d *apitest.Dev, ip, token string) *vaultapi.Client {
	t.Helper()
	probe, err := net.DialTCP("tcp", &net.TCPAddr{IP: net.ParseIP(ip)}, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: mustPort(t, d)})
	if err != nil {
		t.Skipf("cannot connect from %s: %v", ip, err)
	}
	probe.Close()
	cfg := vaultapi.DefaultConfig()
	cfg.Address = d.URL
	cfg.MaxRetries = 0
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	cfg.HttpClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

func mustPort(t *testing.T, d *apitest.Dev) int {
	t.Helper()
	addr, err := net.ResolveTCPAddr("tcp", d.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return addr.Port
}

// token_bound_cidrs as Vault enforces them: a login from outside the user's
// CIDRs and any use of its token from outside them answer 403 "permission
// denied"; a forwarding header does not change the client address.
func TestTokenBoundCIDRs(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	from2 := clientFrom(t, d, "127.0.0.2", "")
	idEnableUserpass(t, root, "userpass")
	upUser(t, root, "userpass", "near", "pw-near-1", map[string]any{"token_bound_cidrs": []string{"10.0.0.0/8", "127.0.0.0/8"}})
	upUser(t, root, "userpass", "far", "pw-far-1", map[string]any{"token_bound_cidrs": "127.0.0.2/32"})

	// A CIDR that includes 127.0.0.1: login and use work, lookup shows them.
	near := upMustLogin(d, t, "userpass", "near", "pw-near-1").Auth.ClientToken
	self, err := d.VaultClient(t, near).Auth().Token().LookupSelf()
	if err != nil {
		t.Fatal(err)
	}
	if got := self.Data["bound_cidrs"].([]any); len(got) != 2 || got[0] != "10.0.0.0/8" || got[1] != "127.0.0.0/8" {
		t.Fatalf("bound_cidrs %v", self.Data["bound_cidrs"])
	}

	// One that excludes 127.0.0.1: the login from there is refused after the
	// password check (a wrong password still answers 400).
	_, err = upLogin(d, t, "userpass", "far", "pw-far-1")
	idWantError(t, err, 403, "permission denied")
	_, err = upLogin(d, t, "userpass", "far", "wrong")
	idWantError(t, err, 400, "invalid username or password")

	// From 127.0.0.2 the login works; the token works only from there.
	s, err := from2.Logical().Write("auth/userpass/login/far", map[string]any{"password": "pw-far-1"})
	if err != nil {
		t.Fatal(err)
	}
	far := s.Auth.ClientToken
	from2.SetToken(far)
	if self, err := from2.Auth().Token().LookupSelf(); err != nil || self.Data["bound_cidrs"].([]any)[0] != "127.0.0.2/32" {
		t.Fatalf("lookup-self from 127.0.0.2: %v %v", self, err)
	}
	_, err = d.VaultClient(t, far).Auth().Token().LookupSelf()
	idWantError(t, err, 403, "permission denied")
	spoof := d.VaultClient(t, far)
	spoof.AddHeader("X-Forwarded-For", "127.0.0.2")
	spoof.AddHeader("X-Real-IP", "127.0.0.2")
	_, err = spoof.Logical().Read("auth/token/lookup-self")
	idWantError(t, err, 403, "permission denied")

	// Unbound tokens are unaffected by where they are used from.
	root2 := clientFrom(t, d, "127.0.0.2", d.RootToken)
	if _, err := root2.Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	if self, err := root.Auth().Token().LookupSelf(); err != nil || self.Data["bound_cidrs"] != nil {
		t.Fatalf("root lookup: %v %v", self, err)
	}
}
