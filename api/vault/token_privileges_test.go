package vault_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

// tokenFor creates a token with the given policies (and options) as root
// and returns a client holding it.
func tokenFor(t *testing.T, d *apitest.Dev, root *vaultapi.Client, req *vaultapi.TokenCreateRequest) *vaultapi.Client {
	t.Helper()
	s, err := root.Auth().Token().Create(req)
	if err != nil {
		t.Fatal(err)
	}
	return d.VaultClient(t, s.Auth.ClientToken)
}

// What Vault's handleCreateCommon refuses without sudo on the create path,
// and what sudo allows, with Vault's messages and 400 status.
func TestTokenCreateNeedsSudoForIDOrphanPeriod(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	idWrite(t, root, "sys/policies/acl/maker", map[string]any{"policy": `path "auth/token/create" { capabilities = ["update"] }`})
	idWrite(t, root, "sys/policies/acl/sudomaker", map[string]any{"policy": `path "auth/token/create" { capabilities = ["update", "sudo"] }`})
	idWrite(t, root, "sys/policies/acl/other", map[string]any{"policy": `path "sys/health" { capabilities = ["read"] }`})
	maker := tokenFor(t, d, root, &vaultapi.TokenCreateRequest{Policies: []string{"maker"}})
	sudo := tokenFor(t, d, root, &vaultapi.TokenCreateRequest{Policies: []string{"sudomaker"}})

	for _, tc := range []struct {
		req  *vaultapi.TokenCreateRequest
		want string
	}{
		{&vaultapi.TokenCreateRequest{Period: "1h"}, "root or sudo privileges required to create periodic token"},
		{&vaultapi.TokenCreateRequest{ID: "chosen-id"}, "root or sudo privileges required to specify token id"},
		{&vaultapi.TokenCreateRequest{NoParent: true}, "root or sudo privileges required to create orphan token"},
		{&vaultapi.TokenCreateRequest{Policies: []string{"other"}}, "child policies must be subset of parent"},
		{&vaultapi.TokenCreateRequest{TTL: "-5s"}, "ttl must be positive"},
		{&vaultapi.TokenCreateRequest{ExplicitMaxTTL: "-5s"}, "explicit_max_ttl must be positive"},
	} {
		_, err := maker.Auth().Token().Create(tc.req)
		idWantError(t, err, http.StatusBadRequest, tc.want)
	}
	_, err := sudo.Auth().Token().Create(&vaultapi.TokenCreateRequest{Period: "-1h"})
	idWantError(t, err, http.StatusBadRequest, "period must be positive")

	s, err := sudo.Auth().Token().Create(&vaultapi.TokenCreateRequest{Period: "1h", NoParent: true, Policies: []string{"other"}})
	if err != nil {
		t.Fatalf("sudo create: %v", err)
	}
	if !s.Auth.Orphan || len(s.Auth.Policies) != 2 || s.Auth.Policies[1] != "other" {
		t.Fatalf("sudo create: orphan %v policies %v", s.Auth.Orphan, s.Auth.Policies)
	}
	if _, err := sudo.Auth().Token().Create(&vaultapi.TokenCreateRequest{ID: "chosen-id"}); err != nil {
		t.Fatalf("sudo create with id: %v", err)
	}
	_, err = sudo.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"root"}})
	idWantError(t, err, http.StatusBadRequest, "root tokens may not be created without parent token being root")

	// create-orphan is ACL'd on its own path: no sudo needed there.
	idWrite(t, root, "sys/policies/acl/orphaner", map[string]any{"policy": `path "auth/token/create-orphan" { capabilities = ["update"] }`})
	orphaner := tokenFor(t, d, root, &vaultapi.TokenCreateRequest{Policies: []string{"orphaner"}})
	if s, err := orphaner.Auth().Token().CreateOrphan(&vaultapi.TokenCreateRequest{}); err != nil || !s.Auth.Orphan {
		t.Fatalf("create-orphan: %v %v", s, err)
	}
}

// A use-limited token must not mint children that escape its count.
func TestUseLimitedTokenCannotCreateChildren(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	idWrite(t, root, "sys/policies/acl/maker", map[string]any{"policy": `path "auth/token/create" { capabilities = ["update"] }`})
	limited := tokenFor(t, d, root, &vaultapi.TokenCreateRequest{Policies: []string{"maker"}, NumUses: 3})
	_, err := limited.Auth().Token().Create(&vaultapi.TokenCreateRequest{})
	idWantError(t, err, http.StatusBadRequest, "restricted use token cannot generate child tokens")
}

func TestTokenDisplayNameSanitized(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	s, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{DisplayName: "My App!"})
	if err != nil {
		t.Fatal(err)
	}
	look, err := root.Auth().Token().Lookup(s.Auth.ClientToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := look.Data["display_name"]; got != "token-My-App" {
		t.Fatalf("display_name %q, want token-My-App", got)
	}
}

func TestRevokeOrphanNeedsSudo(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	idWrite(t, root, "sys/policies/acl/revoker", map[string]any{"policy": `path "auth/token/revoke-orphan" { capabilities = ["update"] }`})
	idWrite(t, root, "sys/policies/acl/sudorevoker", map[string]any{"policy": `path "auth/token/revoke-orphan" { capabilities = ["update", "sudo"] }`})
	victim, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	plain := tokenFor(t, d, root, &vaultapi.TokenCreateRequest{Policies: []string{"revoker"}})
	err = plain.Auth().Token().RevokeOrphan(victim.Auth.ClientToken)
	idWantError(t, err, http.StatusBadRequest, "root or sudo privileges required to revoke and orphan")
	if _, err := root.Auth().Token().Lookup(victim.Auth.ClientToken); err != nil {
		t.Fatalf("token revoked by a refused request: %v", err)
	}
	withSudo := tokenFor(t, d, root, &vaultapi.TokenCreateRequest{Policies: []string{"sudorevoker"}})
	if err := withSudo.Auth().Token().RevokeOrphan(victim.Auth.ClientToken); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Auth().Token().Lookup(victim.Auth.ClientToken); err == nil {
		t.Fatal("token still valid after revoke-orphan")
	}
}

func TestRenewNeedsAKnownToken(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	_, err := root.Logical().Write("auth/token/renew", map[string]any{})
	idWantError(t, err, http.StatusBadRequest, "missing token ID")
	_, err = root.Logical().Write("auth/token/renew", map[string]any{"token": "no-such-token"})
	idWantError(t, err, http.StatusBadRequest, "token not found")
}

// sys/auth/* and auth/token/accessors are root-protected: their own
// capabilities are not enough without sudo. A LIST of "dir" is decided as
// "dir/", so a "dir/*" rule covers it.
func TestRootProtectedPathsAndListPaths(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	idEnableUserpass(t, root, "userpass")
	idWrite(t, root, "auth/userpass/users/alice", map[string]any{"password": "pw-alice-1234"})
	idWrite(t, root, "sys/policies/acl/mounter", map[string]any{"policy": `
path "sys/auth/*" { capabilities = ["create", "update", "delete", "read"] }
path "auth/token/accessors" { capabilities = ["list"] }
path "auth/userpass/users/*" { capabilities = ["list"] }`})
	c := tokenFor(t, d, root, &vaultapi.TokenCreateRequest{Policies: []string{"mounter"}})

	idWantError(t, c.Sys().DisableAuth("userpass"), http.StatusForbidden, "")
	idWantError(t, c.Sys().EnableAuthWithOptions("up2", &vaultapi.EnableAuthOptions{Type: "userpass"}), http.StatusForbidden, "")
	_, err := c.Logical().List("auth/token/accessors")
	idWantError(t, err, http.StatusForbidden, "")
	mounts, err := root.Sys().ListAuth()
	if err != nil || mounts["userpass/"] == nil || mounts["up2/"] != nil {
		t.Fatalf("mounts changed by refused requests: %v %v", mounts, err)
	}
	s, err := c.Logical().List("auth/userpass/users")
	if err != nil || s == nil {
		t.Fatalf("list users with a dir/* rule: %v %v", s, err)
	}

	idWrite(t, root, "sys/policies/acl/mounter", map[string]any{"policy": `
path "sys/auth/*" { capabilities = ["create", "update", "delete", "read", "sudo"] }`})
	if err := c.Sys().DisableAuth("userpass"); err != nil {
		t.Fatalf("disable with sudo: %v", err)
	}
}

// iamd does not wrap responses; a request asking for it is refused rather
// than answered with the secret in clear.
func TestWrapTTLRefused(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	before, err := root.Logical().List("auth/token/accessors")
	if err != nil {
		t.Fatal(err)
	}
	wrapped := d.VaultClient(t, d.RootToken)
	wrapped.SetWrappingLookupFunc(func(operation, path string) string { return "60s" })
	s, err := wrapped.Auth().Token().Create(&vaultapi.TokenCreateRequest{})
	idWantError(t, err, http.StatusBadRequest, "response wrapping (X-Vault-Wrap-TTL) is not supported by iamd")
	if s != nil {
		t.Fatalf("answer to a refused request: %+v", s)
	}
	after, err := root.Logical().List("auth/token/accessors")
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Data["keys"].([]any)) != len(before.Data["keys"].([]any)) {
		t.Fatal("a token was created by a refused request")
	}
}

// A child token dies with its parent's lease, as in Vault, without waiting
// for the periodic tidy.
func TestChildRefusedOnceParentExpired(t *testing.T) {
	var offset atomic.Int64
	d := apitest.StartDev(t, apitest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	root := d.VaultClient(t, d.RootToken)
	parent, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{TTL: "1m"})
	if err != nil {
		t.Fatal(err)
	}
	p := d.VaultClient(t, parent.Auth.ClientToken)
	child, err := p.Auth().Token().Create(&vaultapi.TokenCreateRequest{TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	c := d.VaultClient(t, child.Auth.ClientToken)
	if _, err := c.Auth().Token().LookupSelf(); err != nil {
		t.Fatalf("child before the parent expired: %v", err)
	}
	offset.Store(int64(2 * time.Minute))
	_, err = c.Auth().Token().LookupSelf()
	idWantError(t, err, http.StatusForbidden, "")
	_, err = root.Auth().Token().LookupAccessor(child.Auth.Accessor)
	idWantError(t, err, http.StatusBadRequest, "invalid accessor")
}
