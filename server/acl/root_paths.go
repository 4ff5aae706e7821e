package acl

import "strings"

// rootPaths are the paths Vault's backends declare root-protected
// (PathsSpecial.Root in the system backend and the token store): a request
// on one needs the sudo capability besides the operation's own. A pattern
// ending in "*" covers every path it prefixes; any other must be equal.
var rootPaths = []string{
	"sys/auth/*",
	"sys/audit",
	"sys/audit/*",
	"sys/remount",
	"sys/rotate",
	"sys/seal",
	"sys/step-down",
	"sys/raw",
	"sys/raw/*",
	"sys/config/auditing/*",
	"sys/leases",
	"sys/leases/lookup/*",
	"sys/leases/revoke-force/*",
	"sys/leases/revoke-prefix/*",
	"auth/token/accessors*",
	"auth/token/revoke-orphan/*",
}

// RootProtected reports whether path (below /v1/, leading slashes
// ignored) is one of Vault's root-protected paths.
func RootProtected(path string) bool {
	path = trimSlashes(path)
	for _, p := range rootPaths {
		if prefix, glob := strings.CutSuffix(p, "*"); glob {
			if strings.HasPrefix(path, prefix) {
				return true
			}
		} else if path == p || path == p+"/" {
			return true
		}
	}
	return false
}

// AllowedRequest decides r as Vault does for a client request: the
// operation's capability, and sudo as well on a root-protected path.
func (a *ACL) AllowedRequest(r Request) bool {
	d := a.Authorize(r)
	return d.Allowed && (d.Sudo || !RootProtected(r.Path))
}
