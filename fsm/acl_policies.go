package fsm

import (
	"time"

	"iamd/iamerr"
)

// ACLPolicy is a Vault ACL policy as written by the client. The server
// validates the text before proposing it and compiles it once per
// ModifyIndex; the FSM stores only the text.
type ACLPolicy struct {
	Name        string
	Text        string
	ModifyIndex uint64
	UpdatedAt   time.Time
}

const tableACLPolicies = "acl_policies"

const (
	CmdPutACLPolicy    CommandType = 20
	CmdDeleteACLPolicy CommandType = 21
)

func init() {
	registerKeyedTable[ACLPolicy](tableACLPolicies, "Name")
	register(CmdPutACLPolicy, "put-acl-policy", applyPutACLPolicy)
	register(CmdDeleteACLPolicy, "delete-acl-policy", applyDeleteACLPolicy)
}

// PutACLPolicy creates or replaces a policy.
type PutACLPolicy struct {
	Name string
	Text string
	Time time.Time
}

func applyPutACLPolicy(tx *txn, env Env, cmd *PutACLPolicy) (any, error) {
	if cmd.Name == "root" {
		return nil, iamerr.New(iamerr.Invalid, "cannot update %q policy", "root")
	}
	p := &ACLPolicy{Name: cmd.Name, Text: cmd.Text, ModifyIndex: env.Index, UpdatedAt: cmd.Time}
	return p, insert(tx, tableACLPolicies, p)
}

// DeleteACLPolicy removes a policy; missing is not an error.
type DeleteACLPolicy struct {
	Name string
}

func applyDeleteACLPolicy(tx *txn, env Env, cmd *DeleteACLPolicy) (any, error) {
	if cmd.Name == "root" || cmd.Name == "default" {
		return nil, iamerr.New(iamerr.Invalid, "cannot delete %q policy", cmd.Name)
	}
	if p := first[ACLPolicy](tx, tableACLPolicies, "id", cmd.Name); p != nil {
		return nil, tx.Delete(tableACLPolicies, p)
	}
	return nil, nil
}

// ACLPolicy returns the stored policy with this name, or nil.
func (s *State) ACLPolicy(name string) *ACLPolicy {
	return first[ACLPolicy](s.tx, tableACLPolicies, "id", name)
}

// ACLPolicies returns every stored policy in name order.
func (s *State) ACLPolicies() []*ACLPolicy { return all[ACLPolicy](s.tx, tableACLPolicies, "id") }
