package server

// Vault ACL checks. Until ACL policies are stored (sys/policies/acl), a
// token is allowed everything with the root policy and, otherwise, only the
// paths of Vault's built-in default policy that concern the token itself.

// VaultOperation is a Vault logical operation.
type VaultOperation string

const (
	OpCreate VaultOperation = "create"
	OpRead   VaultOperation = "read"
	OpUpdate VaultOperation = "update"
	OpDelete VaultOperation = "delete"
	OpList   VaultOperation = "list"
	OpPatch  VaultOperation = "patch"
)

var defaultPolicyPaths = map[string]bool{
	"auth/token/lookup-self":        true,
	"auth/token/renew-self":         true,
	"auth/token/revoke-self":        true,
	"sys/capabilities-self":         true,
	"sys/mfa/validate":              true,
	"sys/internal/ui/resultant-acl": true,
}

// AllowVault reports whether caller may perform op on path.
func (n *Node) AllowVault(caller *Caller, path string, op VaultOperation) bool {
	if caller.IsRoot() {
		return true
	}
	return contains(caller.Policies, "default") && defaultPolicyPaths[path]
}

// PolicyExists reports whether an ACL policy with this name is stored.
func (n *Node) PolicyExists(name string) bool {
	return name == "root" || name == "default"
}
