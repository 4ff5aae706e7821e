package server

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
)

// Token TTL defaults (docs/concepts/tokens.mdx): 32 days.
const (
	DefaultTokenTTL = 768 * time.Hour
	MaxTokenTTL     = 768 * time.Hour
)

// Caller is an authenticated Vault-dialect principal.
type Caller struct {
	Token    *fsm.Token
	Policies []string
}

// IsRoot reports whether the caller holds the root policy.
func (c *Caller) IsRoot() bool {
	for _, p := range c.Policies {
		if p == "root" {
			return true
		}
	}
	return false
}

func errInvalidToken() error { return iamerr.New(iamerr.Unauthorized, "invalid token") }

// Authenticate resolves a client token from local state. Limited-use tokens
// spend one use through Raft, so the count is exact cluster-wide.
func (n *Node) Authenticate(ctx context.Context, raw string) (*Caller, error) {
	k, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return nil, errInvalidToken()
	}
	if err := n.awaitCatchUp(ctx); err != nil {
		return nil, err
	}
	st := n.fsm.State()
	t := st.TokenByHMAC(k.HMAC(raw))
	if t == nil || st.TokenExpired(t, n.now()) {
		return nil, errInvalidToken()
	}
	if err := checkBoundCIDRs(ctx, t.BoundCIDRs); err != nil { // bound_cidrs.go
		return nil, err
	}
	if err := n.checkSession(st, t, n.now()); err != nil { // idle timeout (sessions.go)
		return nil, err
	}
	n.noteToken(ctx, raw, t)                  // audit principal (audit.go)
	if err := n.vaultAdmit(ctx); err != nil { // API access rules (access_rules.go)
		return nil, err
	}
	if t.NumUses > 0 {
		used, err := applyAs[*fsm.Token](ctx, n, fsm.CmdUseToken, fsm.UseToken{Accessor: t.Accessor})
		if err != nil {
			return nil, errInvalidToken()
		}
		t = used
	}
	return &Caller{Token: t, Policies: t.Policies}, nil
}

// TokenRequest is auth/token/create's input.
type TokenRequest struct {
	ID              string
	Policies        []string
	Meta            map[string]string
	NoParent        bool
	NoDefaultPolicy bool
	Renewable       *bool
	TTL             time.Duration
	ExplicitMaxTTL  time.Duration
	Period          time.Duration
	DisplayName     string
	NumUses         int
	Type            string
	EntityID        string
	// Path is the request's path, auth/token/create or create-orphan:
	// sudo on it allows id, no_parent and period, and it is the token's
	// path.
	Path string
	// Orphan is create-orphan's: an orphan without sudo, since that path
	// is ACL'd on its own.
	Orphan bool
}

// IssuedToken is a new token and its clear ID, shown once.
type IssuedToken struct {
	ID       string
	Token    *fsm.Token
	Warnings []string
}

// displayNameUnsafe is what Vault replaces with "-" in a display name.
var displayNameUnsafe = regexp.MustCompile("[^a-zA-Z0-9-]")

// CreateToken issues a child (or orphan) token of the caller. Its checks,
// their order and their messages are Vault's handleCreateCommon.
func (n *Node) CreateToken(ctx context.Context, caller *Caller, req TokenRequest) (*IssuedToken, error) {
	k, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	if caller.Token != nil && caller.Token.NumUses > 0 {
		// Otherwise a child could escape the parent's use count.
		return nil, iamerr.New(iamerr.Invalid, "restricted use token cannot generate child tokens")
	}
	if req.Path == "" {
		req.Path = "auth/token/create"
	}
	sudo := n.HasSudo(caller, req.Path)
	switch req.Type {
	case "", "service", "default-service":
		req.Type = "service"
	case "batch":
		return nil, iamerr.New(iamerr.Invalid, "batch tokens are not supported by iamd")
	default:
		return nil, iamerr.New(iamerr.Invalid, "invalid 'token_type' value %q", req.Type)
	}
	if req.NumUses < 0 {
		return nil, iamerr.New(iamerr.Invalid, "number of uses cannot be negative")
	}
	root := caller.IsRoot()
	if req.ID != "" {
		if !sudo {
			return nil, iamerr.New(iamerr.Invalid, "root or sudo privileges required to specify token id")
		}
		if strings.Contains(req.ID, ".") || strings.HasPrefix(req.ID, "hvs") || strings.HasPrefix(req.ID, "s.") {
			return nil, iamerr.New(iamerr.Invalid, "custom token ID cannot have the 'hvs.' or 's.' prefix or contain '.'")
		}
	}
	policies := normalizePolicies(req.Policies)
	if len(req.Policies) == 0 {
		policies = append([]string(nil), caller.Policies...)
	} else if !sudo {
		for _, p := range policies {
			if p != "default" && !contains(caller.Policies, p) {
				return nil, iamerr.New(iamerr.Invalid, "child policies must be subset of parent")
			}
		}
	}
	if contains(policies, "root") && !root {
		// sudo must not be a way to mint root tokens.
		return nil, iamerr.New(iamerr.Invalid, "root tokens may not be created without parent token being root")
	}
	if req.NoParent && !sudo {
		return nil, iamerr.New(iamerr.Invalid, "root or sudo privileges required to create orphan token")
	}
	switch {
	case req.ExplicitMaxTTL < 0:
		return nil, iamerr.New(iamerr.Invalid, "explicit_max_ttl must be positive")
	case req.Period < 0:
		return nil, iamerr.New(iamerr.Invalid, "period must be positive")
	case req.Period > 0 && !sudo:
		return nil, iamerr.New(iamerr.Invalid, "root or sudo privileges required to create periodic token")
	case req.TTL < 0:
		return nil, iamerr.New(iamerr.Invalid, "ttl must be positive")
	}
	policies = removeString(policies, "default")
	if !req.NoDefaultPolicy && !contains(policies, "root") {
		policies = append(policies, "default")
	}
	sort.Strings(policies)
	now := n.now().UTC()
	ttl := req.TTL
	if req.Period > 0 {
		ttl = req.Period
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl > MaxTokenTTL && req.Period == 0 {
		ttl = MaxTokenTTL
	}
	if req.ExplicitMaxTTL > 0 && ttl > req.ExplicitMaxTTL {
		ttl = req.ExplicitMaxTTL
	}
	// A root token without an explicit ttl creating a root child still
	// gets the default TTL; only the initial root token never expires.
	renewable := true
	if req.Renewable != nil {
		renewable = *req.Renewable
	}
	id := req.ID
	if id == "" {
		id = newTokenID()
	}
	display := "token"
	if req.DisplayName != "" {
		display = strings.TrimSuffix(displayNameUnsafe.ReplaceAllString("token-"+req.DisplayName, "-"), "-")
	}
	t := fsm.Token{
		HMAC: k.HMAC(id), Accessor: newAccessor(), Policies: policies, Meta: req.Meta,
		DisplayName: display, Path: req.Path, NumUses: req.NumUses, Renewable: renewable, Type: req.Type,
		EntityID: req.EntityID, CreationTime: now, IssueTime: now, CreationTTL: ttl,
		ExplicitMaxTTL: req.ExplicitMaxTTL, Period: req.Period, ExpireTime: now.Add(ttl),
	}
	if t.Meta == nil {
		t.Meta = map[string]string{}
	}
	if req.NoParent || req.Orphan || caller.Token == nil {
		t.Orphan = true
	} else {
		t.ParentAccessor = caller.Token.Accessor
	}
	created, err := applyAs[*fsm.Token](ctx, n, fsm.CmdCreateToken, fsm.CreateToken{Token: t})
	if err != nil {
		return nil, err
	}
	var warnings []string
	for _, p := range policies {
		if p != "default" && p != "root" && !n.PolicyExists(p) {
			warnings = append(warnings, "Policy \""+p+"\" does not exist")
		}
	}
	return &IssuedToken{ID: id, Token: created, Warnings: warnings}, nil
}

// LookupToken finds a token by its clear ID.
func (n *Node) LookupToken(raw string) (*fsm.Token, error) {
	k, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	st := n.fsm.State()
	t := st.TokenByHMAC(k.HMAC(raw))
	if t == nil || st.TokenExpired(t, n.now()) {
		return nil, iamerr.New(iamerr.Denied, "bad token")
	}
	return t, nil
}

// LookupAccessor finds a token by accessor.
func (n *Node) LookupAccessor(accessor string) (*fsm.Token, error) {
	st := n.fsm.State()
	t := st.TokenByAccessor(accessor)
	if t == nil || st.TokenExpired(t, n.now()) {
		return nil, iamerr.New(iamerr.Invalid, "invalid accessor")
	}
	return t, nil
}

// RevokeToken revokes a token and, unless orphan, its children.
func (n *Node) RevokeToken(ctx context.Context, t *fsm.Token, orphan bool) error {
	_, err := n.apply(ctx, fsm.CmdRevokeToken, fsm.RevokeToken{Accessor: t.Accessor, Orphan: orphan})
	return err
}

// RenewToken extends a token's TTL by increment (or its period/default),
// never past its explicit max TTL or the system max.
func (n *Node) RenewToken(ctx context.Context, t *fsm.Token, increment time.Duration) (*fsm.Token, error) {
	if t.ExpireTime.IsZero() {
		return t, nil // root tokens do not expire
	}
	now := n.now().UTC()
	ttl := increment
	if t.Period > 0 {
		ttl = t.Period
	}
	if ttl <= 0 {
		ttl = t.CreationTTL
	}
	expire := now.Add(ttl)
	if t.ExplicitMaxTTL > 0 {
		if limit := t.CreationTime.Add(t.ExplicitMaxTTL); expire.After(limit) {
			expire = limit
		}
	}
	if t.Period == 0 {
		if limit := t.CreationTime.Add(MaxTokenTTL); expire.After(limit) {
			expire = limit
		}
	}
	return applyAs[*fsm.Token](ctx, n, fsm.CmdRenewToken, fsm.RenewToken{Accessor: t.Accessor, ExpireTime: expire, Time: now})
}

// Accessors lists every live token's accessor.
func (n *Node) Accessors() []string {
	now := n.now()
	st := n.fsm.State()
	var out []string
	for _, t := range st.Tokens() {
		if !st.TokenExpired(t, now) {
			out = append(out, t.Accessor)
		}
	}
	sort.Strings(out)
	return out
}

func normalizePolicies(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range in {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func removeString(list []string, s string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}
