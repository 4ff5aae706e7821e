package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// Token is a Vault-style service token. The token itself is never stored:
// HMAC is the keyed hash the server derives from it (see server/keyring).
type Token struct {
	HMAC           string
	Accessor       string
	ParentAccessor string // "" for orphans
	Policies       []string
	Meta           StringMap
	DisplayName    string
	Path           string
	NumUses        int
	Orphan         bool
	Renewable      bool
	Type           string // "service"
	EntityID       string
	CreationTime   time.Time
	CreationTTL    time.Duration
	ExplicitMaxTTL time.Duration
	Period         time.Duration
	ExpireTime     time.Time // zero: never expires (root)
	LastRenewal    time.Time
	IssueTime      time.Time
	BoundCIDRs     []string // client addresses the token may be used from (empty: any)
}

// Expired reports whether the token's TTL has run out at now.
func (t *Token) Expired(now time.Time) bool {
	return !t.ExpireTime.IsZero() && !now.Before(t.ExpireTime)
}

const tableTokens = "tokens"

const (
	CmdCreateToken CommandType = 2
	CmdRevokeToken CommandType = 3
	CmdRenewToken  CommandType = 4
	CmdUseToken    CommandType = 5
	CmdTidyTokens  CommandType = 6
)

func init() {
	registerTable[Token](&memdb.TableSchema{
		Name: tableTokens,
		Indexes: map[string]*memdb.IndexSchema{
			"id":       idIndex("HMAC"),
			"accessor": uniqueIndex("accessor", "Accessor", false),
			"parent":   plainIndex("parent", "ParentAccessor"),
		},
	})
	register(CmdCreateToken, "create-token", applyCreateToken)
	register(CmdRevokeToken, "revoke-token", applyRevokeToken)
	register(CmdRenewToken, "renew-token", applyRenewToken)
	register(CmdUseToken, "use-token", applyUseToken)
	register(CmdTidyTokens, "tidy-tokens", applyTidyTokens)
}

// CreateToken stores a new token. A parent that was revoked between the
// server's check and this entry makes the create fail, so no child outlives
// its parent.
type CreateToken struct {
	Token Token
}

func applyCreateToken(tx *txn, env Env, cmd *CreateToken) (any, error) {
	t := cmd.Token
	if first[Token](tx, tableTokens, "id", t.HMAC) != nil {
		return nil, iamerr.New(iamerr.Conflict, "cannot create a token with a duplicate ID")
	}
	if first[Token](tx, tableTokens, "accessor", t.Accessor) != nil {
		return nil, iamerr.New(iamerr.Conflict, "duplicate token accessor")
	}
	if t.ParentAccessor != "" && first[Token](tx, tableTokens, "accessor", t.ParentAccessor) == nil {
		return nil, iamerr.New(iamerr.Denied, "parent token has been revoked")
	}
	if err := insert(tx, tableTokens, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// RevokeToken removes a token by accessor; unless Orphan is set, its
// children are revoked with it (recursively), as in Vault.
type RevokeToken struct {
	Accessor string
	Orphan   bool // revoke-orphan: children become orphans instead
}

func applyRevokeToken(tx *txn, env Env, cmd *RevokeToken) (any, error) {
	t := first[Token](tx, tableTokens, "accessor", cmd.Accessor)
	if t == nil {
		return nil, nil // revoking a revoked token is not an error in Vault
	}
	return nil, revokeTree(tx, t, cmd.Orphan)
}

func revokeTree(tx *txn, t *Token, orphanChildren bool) error {
	for _, child := range all[Token](tx, tableTokens, "parent", t.Accessor) {
		if orphanChildren {
			c := *child
			c.ParentAccessor = ""
			c.Orphan = true
			if err := insert(tx, tableTokens, &c); err != nil {
				return err
			}
			continue
		}
		if err := revokeTree(tx, child, false); err != nil {
			return err
		}
	}
	return tx.Delete(tableTokens, t)
}

// RenewToken sets a token's new expiry, computed by the server from the
// request time and the token's limits.
type RenewToken struct {
	Accessor   string
	ExpireTime time.Time
	Time       time.Time
}

func applyRenewToken(tx *txn, env Env, cmd *RenewToken) (any, error) {
	t := first[Token](tx, tableTokens, "accessor", cmd.Accessor)
	if t == nil || t.Expired(cmd.Time) {
		return nil, iamerr.New(iamerr.Denied, "invalid token")
	}
	if !t.Renewable {
		return nil, iamerr.New(iamerr.Invalid, "lease is not renewable")
	}
	c := *t
	c.ExpireTime = cmd.ExpireTime
	c.LastRenewal = cmd.Time
	if err := insert(tx, tableTokens, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// UseToken consumes one use of a limited-use token; the last use revokes it.
// Deciding it here means two nodes cannot both spend the last use.
type UseToken struct {
	Accessor string
}

func applyUseToken(tx *txn, env Env, cmd *UseToken) (any, error) {
	t := first[Token](tx, tableTokens, "accessor", cmd.Accessor)
	if t == nil {
		return nil, iamerr.New(iamerr.Denied, "invalid token")
	}
	if t.NumUses <= 0 {
		return t, nil
	}
	if t.NumUses == 1 {
		return t, revokeTree(tx, t, false)
	}
	c := *t
	c.NumUses--
	return &c, insert(tx, tableTokens, &c)
}

// TidyTokens deletes tokens that expired before Time. With Limit, one
// entry looks at no more than Limit tokens, in HMAC order after After, so
// that a sweep of many tokens is many short entries: every node's FSM (and
// so every write) waits while one applies. Limit 0 sweeps the whole table
// in one entry, as entries written before Limit existed did.
type TidyTokens struct {
	Time  time.Time
	After string `json:",omitempty"`
	Limit int    `json:",omitempty"`
}

// TidyResult is what a TidyTokens entry did; Next is the After of the
// sweep's next entry, "" when the sweep has reached the end of the table.
type TidyResult struct {
	Removed int
	Next    string
}

func applyTidyTokens(tx *txn, env Env, cmd *TidyTokens) (any, error) {
	var tokens []*Token
	var next string
	if cmd.Limit > 0 {
		tokens, next = tokensAfter(tx, cmd.After, cmd.Limit)
	} else {
		tokens = all[Token](tx, tableTokens, "id")
	}
	res := TidyResult{Next: next}
	for _, t := range tokens {
		if t.Expired(cmd.Time) {
			if err := revokeTree(tx, t, false); err != nil && err != memdb.ErrNotFound {
				return nil, err
			}
			res.Removed++
		}
	}
	return res, nil
}

// tokensAfter returns up to limit tokens whose HMAC sorts after after, and
// the HMAC to continue from ("" when none are left).
func tokensAfter(tx *txn, after string, limit int) ([]*Token, string) {
	it, err := tx.LowerBound(tableTokens, "id", after)
	if err != nil {
		return nil, ""
	}
	var out []*Token
	for raw := it.Next(); raw != nil; raw = it.Next() {
		t := raw.(*Token)
		if t.HMAC == after {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].HMAC
		}
		out = append(out, t)
	}
	return out, ""
}

// TokenByHMAC returns the token whose HMAC is h, or nil.
func (s *State) TokenByHMAC(h string) *Token { return first[Token](s.tx, tableTokens, "id", h) }

// TokenByAccessor returns the token with the given accessor, or nil.
func (s *State) TokenByAccessor(a string) *Token {
	return first[Token](s.tx, tableTokens, "accessor", a)
}

// maxTokenDepth bounds the walk up a token's parents; a chain is never
// longer than the tokens created one from another.
const maxTokenDepth = 256

// TokenExpired reports whether t can no longer be used at now: it has
// expired, or one of its parents has (or is gone). Vault revokes a
// token's children when its lease expires; the periodic tidy removes them
// here, and until it runs they are refused.
func (s *State) TokenExpired(t *Token, now time.Time) bool {
	for depth := 0; t != nil && depth < maxTokenDepth; depth++ {
		if t.Expired(now) {
			return true
		}
		if t.ParentAccessor == "" {
			return false
		}
		t = s.TokenByAccessor(t.ParentAccessor)
	}
	return true
}

// Tokens returns every stored token.
func (s *State) Tokens() []*Token { return all[Token](s.tx, tableTokens, "id") }
