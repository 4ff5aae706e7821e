package server

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/acl"
)

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

var aclOps = map[VaultOperation]acl.Operation{
	OpCreate: acl.OpCreate, OpRead: acl.OpRead, OpUpdate: acl.OpUpdate,
	OpDelete: acl.OpDelete, OpList: acl.OpList, OpPatch: acl.OpPatch,
}

// aclCache keeps compiled policies and ACLs. Policies are compiled once per
// stored version (ModifyIndex); an ACL is compiled once per combination of
// policy versions and entity, so no request parses or merges policies.
type aclCache struct {
	policies sync.Map // name -> *compiledPolicy
	acls     sync.Map // key -> *acl.ACL
}

type compiledPolicy struct {
	index  uint64
	policy *acl.Policy
}

// policy returns the compiled form of a named policy, nil when it does not
// exist. "default" falls back to the built-in text until it is written.
func (n *Node) compiledPolicy(st *fsm.State, name string) (*acl.Policy, uint64) {
	if name == acl.RootName {
		return acl.RootPolicy(), 0
	}
	stored := st.ACLPolicy(name)
	if stored == nil {
		if name == acl.DefaultName {
			return acl.DefaultPolicy(), 0
		}
		return nil, 0
	}
	if c, ok := n.acls.policies.Load(name); ok && c.(*compiledPolicy).index == stored.ModifyIndex {
		return c.(*compiledPolicy).policy, stored.ModifyIndex
	}
	p, err := acl.Parse(name, stored.Text)
	if err != nil {
		// Validated before it was written; a parse failure here means a
		// newer binary wrote it. Grant nothing from it.
		n.log.Error("stored ACL policy does not parse", "policy", name, "error", err)
		return nil, stored.ModifyIndex
	}
	n.acls.policies.Store(name, &compiledPolicy{index: stored.ModifyIndex, policy: p})
	return p, stored.ModifyIndex
}

// CallerPolicies returns the token's policies plus those its entity and the
// entity's groups carry (identity policies), sorted and de-duplicated.
func (n *Node) CallerPolicies(caller *Caller) (token, identity []string) {
	token = caller.Policies
	if caller.Token != nil && caller.Token.EntityID != "" {
		identity = n.identityPolicies(caller.Token.EntityID)
	}
	return token, identity
}

// VaultACL returns the compiled ACL that applies to caller.
func (n *Node) VaultACL(caller *Caller) *acl.ACL {
	st := n.fsm.State()
	tokenPolicies, identityPolicies := n.CallerPolicies(caller)
	names := append(append([]string(nil), tokenPolicies...), identityPolicies...)
	sort.Strings(names)
	entityID := ""
	if caller.Token != nil {
		entityID = caller.Token.EntityID
	}
	var key strings.Builder
	if entityID != "" {
		// Templates read the entity, its aliases and groups: a change to
		// any of them must compile a new ACL.
		key.WriteString(identityVersion(st, entityID))
	}
	policies := make([]*acl.Policy, 0, len(names))
	for i, name := range names {
		if i > 0 && names[i-1] == name {
			continue
		}
		p, idx := n.compiledPolicy(st, name)
		key.WriteString("|" + name + "@" + strconv.FormatUint(idx, 10))
		policies = append(policies, p)
	}
	if a, ok := n.acls.acls.Load(key.String()); ok {
		return a.(*acl.ACL)
	}
	a := acl.Compile(n.templateResolver(st, entityID), policies...)
	n.acls.acls.Store(key.String(), a)
	return a
}

// AllowVault reports whether caller may perform op on path: the
// operation's capability, and sudo too on Vault's root-protected paths.
func (n *Node) AllowVault(caller *Caller, path string, op VaultOperation) bool {
	if caller.Token != nil && caller.Token.EntityID != "" {
		// Vault refuses every request of a token whose entity is disabled.
		if e := n.fsm.State().Entity(caller.Token.EntityID); e != nil && e.Disabled {
			return false
		}
	}
	if caller.IsRoot() {
		return true
	}
	return n.VaultACL(caller).AllowedRequest(acl.Request{Path: path, Operation: aclOps[op]})
}

// HasSudo reports whether caller holds sudo on path, as Vault's
// SudoPrivilege decides it for handlers that ask (token create's id,
// no_parent and period; revoke-orphan): the root policy, or a rule for the
// path that grants sudo.
func (n *Node) HasSudo(caller *Caller, path string) bool {
	if caller.IsRoot() {
		return true
	}
	return n.VaultACL(caller).Authorize(acl.Request{Path: path, Operation: acl.OpRead}).Sudo
}

// Capabilities answers sys/capabilities-self for one path.
func (n *Node) Capabilities(caller *Caller, path string) []string {
	return n.VaultACL(caller).Capabilities(path)
}

// PolicyExists reports whether an ACL policy with this name exists.
func (n *Node) PolicyExists(name string) bool {
	return name == acl.RootName || name == acl.DefaultName || n.fsm.State().ACLPolicy(name) != nil
}

// PutACLPolicy validates and stores a policy.
func (n *Node) PutACLPolicy(ctx context.Context, name, text string) error {
	name, err := acl.NormalizeName(name)
	if err != nil {
		return err
	}
	if acl.IsImmutable(name) {
		return iamerr.New(iamerr.Invalid, "cannot update %q policy", name)
	}
	if strings.TrimSpace(text) == "" {
		return iamerr.New(iamerr.Invalid, "'policy' parameter not supplied or empty")
	}
	text = acl.DecodeText(text)
	if _, err := acl.Parse(name, text); err != nil {
		return iamerr.New(iamerr.Invalid, "failed to parse policy: %v", err)
	}
	_, err = n.apply(ctx, fsm.CmdPutACLPolicy, fsm.PutACLPolicy{Name: name, Text: text, Time: n.now().UTC()})
	return err
}

// DeleteACLPolicy removes a policy.
func (n *Node) DeleteACLPolicy(ctx context.Context, name string) error {
	name, err := acl.NormalizeName(name)
	if err != nil {
		return err
	}
	if err := acl.CheckDelete(name); err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeleteACLPolicy, fsm.DeleteACLPolicy{Name: name})
	return err
}

// ACLPolicyText returns a policy's text, with ok false when it does not
// exist. The built-in default is shown until it is overwritten.
func (n *Node) ACLPolicyText(name string) (string, bool) {
	name, err := acl.NormalizeName(name)
	if err != nil {
		return "", false
	}
	if p := n.fsm.State().ACLPolicy(name); p != nil {
		return p.Text, true
	}
	if name == acl.DefaultName {
		return acl.DefaultPolicyText, true
	}
	return "", false
}

// ACLPolicyNames lists every policy, built-ins included.
func (n *Node) ACLPolicyNames() []string {
	names := []string{acl.DefaultName, acl.RootName}
	for _, p := range n.fsm.State().ACLPolicies() {
		if p.Name != acl.DefaultName {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}
