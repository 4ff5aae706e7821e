package acl

import (
	"strings"
	"sync"

	"iamd/iamerr"
)

// Names of the built-in policies.
const (
	RootName             = "root"
	DefaultName          = "default"
	ResponseWrappingName = "response-wrapping"
)

// DefaultPolicyText is the text Vault seeds the "default" policy with
// (vault/policy_store.go, as `vault policy read default` prints it). The
// policy store should write it under DefaultName when it is missing; after
// that it is an ordinary, editable policy that cannot be deleted.
//
// sys/mfa/validate is not listed: it is an unauthenticated path.
const DefaultPolicyText = `
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}


# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path because the format may change at any time
# based on how the internal ACL features and capabilities change.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow checking the status of a Control Group request if the user has the
# accessor
path "sys/control-group/request" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`

var (
	rootPolicy    = &Policy{name: RootName, root: true}
	defaultPolicy = sync.OnceValue(func() *Policy {
		p, err := parse(DefaultName, DefaultPolicyText)
		if err != nil {
			panic("acl: built-in default policy: " + err.Error())
		}
		return p
	})
)

// RootPolicy returns the built-in root policy, which allows everything. It
// has no text and is never stored.
func RootPolicy() *Policy { return rootPolicy }

// DefaultPolicy returns DefaultPolicyText parsed, for callers that have no
// stored copy of "default".
func DefaultPolicy() *Policy { return defaultPolicy() }

// NormalizeName lower-cases and trims a policy name as Vault's policy store
// does. An empty name is refused; Vault puts no other limit on names.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return "", iamerr.New(iamerr.Invalid, "policy name must be provided in the URL")
	}
	return n, nil
}

// IsImmutable reports whether a (normalised) name belongs to a policy that
// cannot be written: root, and response-wrapping, which Vault reserves.
func IsImmutable(name string) bool {
	return name == RootName || name == ResponseWrappingName
}

// CheckDelete returns the error Vault gives when deleting a built-in policy,
// or nil when the (normalised) name may be deleted.
func CheckDelete(name string) error {
	if IsImmutable(name) {
		return iamerr.New(iamerr.Invalid, "cannot delete %q policy", name)
	}
	if name == DefaultName {
		return iamerr.New(iamerr.Invalid, "cannot delete default policy")
	}
	return nil
}
