package acl

import "testing"

// A LIST sent without its trailing slash is decided as Vault decides it:
// with the slash its HTTP layer adds, so "dir/*" covers a LIST of "dir".
func TestListWithoutTrailingSlash(t *testing.T) {
	a := compileText(t, `
path "auth/userpass/users/*" {
  capabilities = ["list"]
}`)
	checkOps(t, a, []opCase{
		{OpList, "auth/userpass/users", true, false},
		{OpList, "auth/userpass/users/", true, false},
		{OpRead, "auth/userpass/users", false, false},
		{OpList, "auth/userpass", false, false},
	})
}

func TestRootProtected(t *testing.T) {
	for path, want := range map[string]bool{
		"sys/auth/userpass":          true,
		"/sys/auth/userpass/tune":    true,
		"sys/auth":                   false, // listing mounts is not root-protected
		"sys/audit":                  true,
		"sys/audit/file":             true,
		"sys/audit-hash/file":        false,
		"sys/audit-log":              false,
		"auth/token/accessors":       true,
		"auth/token/accessors/":      true,
		"auth/token/revoke-orphan":   false, // its handler checks sudo itself
		"auth/token/revoke-orphan/x": true,
		"auth/token/create":          false,
		"sys/policies/acl/x":         false,
	} {
		if got := RootProtected(path); got != want {
			t.Errorf("RootProtected(%q) = %v, want %v", path, got, want)
		}
	}
}

// A root-protected path needs sudo besides the operation's capability;
// other paths do not.
func TestAllowedRequestNeedsSudoOnRootPaths(t *testing.T) {
	plain := compileText(t, `
path "sys/auth/*" {
  capabilities = ["create", "update", "delete", "read"]
}
path "auth/token/accessors" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["update"]
}`)
	withSudo := compileText(t, `
path "sys/auth/*" {
  capabilities = ["update", "delete", "sudo"]
}
path "auth/token/accessors" {
  capabilities = ["list", "sudo"]
}`)
	for _, tc := range []struct {
		a    *ACL
		op   Operation
		path string
		want bool
	}{
		{plain, OpUpdate, "sys/auth/userpass", false},
		{plain, OpDelete, "sys/auth/userpass", false},
		{plain, OpList, "auth/token/accessors", false},
		{plain, OpUpdate, "sys/policies/acl/p", true},
		{withSudo, OpUpdate, "sys/auth/userpass", true},
		{withSudo, OpDelete, "sys/auth/userpass", true},
		{withSudo, OpList, "auth/token/accessors", true},
		{withSudo, OpRead, "sys/auth/userpass", false}, // sudo alone grants nothing
		{New(RootPolicy()), OpDelete, "sys/auth/userpass", true},
	} {
		if got := tc.a.AllowedRequest(Request{Path: tc.path, Operation: tc.op}); got != tc.want {
			t.Errorf("%s %s: allowed %v, want %v", tc.op, tc.path, got, tc.want)
		}
	}
}
