package fsm

import (
	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

const (
	CmdPutInlinePolicy    CommandType = 230
	CmdDeleteInlinePolicy CommandType = 231
)

// Entity types that policies attach to. Roles come with STS.
const (
	EntityUser  = "user"
	EntityGroup = "group"
	EntityRole  = "role"
)

// InlinePolicy is a policy embedded in a user, group (or later role).
// The document is stored as sent (whitespace kept, as AWS returns it);
// Size is its size as AWS counts it against the aggregate quota, computed
// by the server (which owns the policy language). Revision is the Raft
// index of the last write: with the ID it names one immutable text, so
// nodes can cache the compiled policy under it.
type InlinePolicy struct {
	ID         string // OwnerID + "/" + PolicyName
	AccountID  string
	OwnerType  string
	OwnerID    string
	PolicyName string
	Document   string
	Size       int
	Revision   uint64
}

const tableInlinePolicies = "iam_inline_policies"

func init() {
	registerTable[InlinePolicy](&memdb.TableSchema{
		Name: tableInlinePolicies,
		Indexes: map[string]*memdb.IndexSchema{
			"id":    idIndex("ID"),
			"owner": plainIndex("owner", "OwnerID"),
		},
	})
	register(CmdPutInlinePolicy, "put-inline-policy", applyPutInlinePolicy)
	register(CmdDeleteInlinePolicy, "delete-inline-policy", applyDeleteInlinePolicy)
}

// PutInlinePolicy adds or replaces an inline policy. Limit is the
// aggregate size quota of the owner's inline policies.
type PutInlinePolicy struct {
	Policy    InlinePolicy
	OwnerName string
	Limit     int
}

func applyPutInlinePolicy(tx *txn, env Env, cmd *PutInlinePolicy) (any, error) {
	p := cmd.Policy
	if err := entityExists(tx, p.AccountID, p.OwnerType, p.OwnerID, cmd.OwnerName); err != nil {
		return nil, err
	}
	p.ID = p.OwnerID + "/" + p.PolicyName
	total := p.Size
	for _, other := range all[InlinePolicy](tx, tableInlinePolicies, "owner", p.OwnerID) {
		if other.ID != p.ID {
			total += other.Size
		}
	}
	if total > cmd.Limit {
		return nil, limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", cmd.Limit, p.OwnerType, cmd.OwnerName)
	}
	p.Revision = env.Index
	if err := insert(tx, tableInlinePolicies, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// DeleteInlinePolicy removes an inline policy by name.
type DeleteInlinePolicy struct {
	AccountID  string
	OwnerType  string
	OwnerID    string
	OwnerName  string
	PolicyName string
}

func applyDeleteInlinePolicy(tx *txn, env Env, cmd *DeleteInlinePolicy) (any, error) {
	if err := entityExists(tx, cmd.AccountID, cmd.OwnerType, cmd.OwnerID, cmd.OwnerName); err != nil {
		return nil, err
	}
	p := first[InlinePolicy](tx, tableInlinePolicies, "id", cmd.OwnerID+"/"+cmd.PolicyName)
	if p == nil {
		return nil, NoSuchInlinePolicy(cmd.OwnerType, cmd.PolicyName)
	}
	return nil, tx.Delete(tableInlinePolicies, p)
}

// NoSuchInlinePolicy is the error for a missing inline policy.
func NoSuchInlinePolicy(ownerType, name string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The %s policy with name %s cannot be found.", ownerType, name)
}

// entityExists checks that the user or group a policy refers to is there.
func entityExists(tx *txn, acct, typ, id, name string) error {
	switch typ {
	case EntityUser:
		if userByID(tx, acct, id) != nil {
			return nil
		}
		return noSuchUser(name)
	case EntityGroup:
		if groupByID(tx, acct, id) != nil {
			return nil
		}
		return noSuchGroup(name)
	case EntityRole:
		if roleByID(tx, acct, id) != nil {
			return nil
		}
		return NoSuchRole(name)
	}
	return iamerr.New(iamerr.Invalid, "unknown entity type %q", typ)
}

// InlinePolicies returns an owner's inline policies, by name.
func (s *State) InlinePolicies(ownerID string) []*InlinePolicy {
	return all[InlinePolicy](s.tx, tableInlinePolicies, "owner", ownerID)
}

// InlinePolicy returns one inline policy of an owner, or nil.
func (s *State) InlinePolicy(ownerID, name string) *InlinePolicy {
	return first[InlinePolicy](s.tx, tableInlinePolicies, "id", ownerID+"/"+name)
}
