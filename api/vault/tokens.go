package vault

import (
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

type ops = map[server.VaultOperation]Handler

func (a *API) tokenRoutes() []Route {
	return []Route{
		{Pattern: "auth/token/create", Ops: ops{server.OpUpdate: a.createToken(false)}},
		{Pattern: "auth/token/create-orphan", Ops: ops{server.OpUpdate: a.createToken(true)}},
		{Pattern: "auth/token/lookup-self", Ops: ops{server.OpRead: a.lookupSelf, server.OpUpdate: a.lookupSelf}},
		{Pattern: "auth/token/lookup", Ops: ops{server.OpUpdate: a.lookupToken, server.OpRead: a.lookupToken}},
		{Pattern: "auth/token/lookup-accessor", Ops: ops{server.OpUpdate: a.lookupAccessor}},
		{Pattern: "auth/token/renew-self", Ops: ops{server.OpUpdate: a.renewSelf}},
		{Pattern: "auth/token/renew", Ops: ops{server.OpUpdate: a.renewToken}},
		{Pattern: "auth/token/renew-accessor", Ops: ops{server.OpUpdate: a.renewAccessor}},
		{Pattern: "auth/token/revoke", Ops: ops{server.OpUpdate: a.revokeToken(false)}},
		{Pattern: "auth/token/revoke-orphan", Ops: ops{server.OpUpdate: a.revokeToken(true)}},
		{Pattern: "auth/token/revoke-self", Ops: ops{server.OpUpdate: a.revokeSelf}},
		{Pattern: "auth/token/revoke-accessor", Ops: ops{server.OpUpdate: a.revokeAccessor}},
		{Pattern: "auth/token/accessors", Ops: ops{server.OpList: a.listAccessors}},
	}
}

func (a *API) createToken(orphan bool) Handler {
	return func(r *Request) (*Response, error) {
		var req server.TokenRequest
		var err error
		if req.ID, err = r.String("id", ""); err != nil {
			return nil, err
		}
		if req.Policies, err = r.StringSlice("policies"); err != nil {
			return nil, err
		}
		if req.Meta, err = r.StringMap("meta"); err != nil {
			return nil, err
		}
		if req.NoParent, err = r.Bool("no_parent", false); err != nil {
			return nil, err
		}
		if req.NoDefaultPolicy, err = r.Bool("no_default_policy", false); err != nil {
			return nil, err
		}
		if r.Has("renewable") {
			b, err := r.Bool("renewable", true)
			if err != nil {
				return nil, err
			}
			req.Renewable = &b
		}
		if req.TTL, err = r.Duration("ttl", 0); err != nil {
			return nil, err
		}
		if req.ExplicitMaxTTL, err = r.Duration("explicit_max_ttl", 0); err != nil {
			return nil, err
		}
		if req.Period, err = r.Duration("period", 0); err != nil {
			return nil, err
		}
		if req.DisplayName, err = r.String("display_name", ""); err != nil {
			return nil, err
		}
		if req.NumUses, err = r.Int("num_uses", 0); err != nil {
			return nil, err
		}
		if req.Type, err = r.String("type", ""); err != nil {
			return nil, err
		}
		// create-orphan needs no sudo in Vault: it is its own path.
		req.Path, req.Orphan = r.Path, orphan
		issued, err := a.node.CreateToken(r.Context, r.Caller, req)
		return tokenAuthResponse(issued, err)
	}
}

func tokenAuthResponse(issued *server.IssuedToken, err error) (*Response, error) {
	if err != nil {
		return nil, err
	}
	return &Response{Auth: AuthFor(issued), Warnings: issued.Warnings}, nil
}

// AuthFor renders an issued token as the envelope's auth block.
func AuthFor(issued *server.IssuedToken) *Auth {
	t := issued.Token
	return &Auth{
		ClientToken: issued.ID, Accessor: t.Accessor, Policies: t.Policies, TokenPolicies: t.Policies,
		Metadata: t.Meta, LeaseDuration: int64(t.CreationTTL.Seconds()), Renewable: t.Renewable,
		EntityID: t.EntityID, TokenType: t.Type, Orphan: t.Orphan, NumUses: t.NumUses,
	}
}

// tokenData is the lookup answer (spec/vault.md §3.3).
func tokenData(t *fsm.Token, id string, now time.Time) map[string]any {
	var expire any
	ttl := int64(0)
	if !t.ExpireTime.IsZero() {
		expire = t.ExpireTime.UTC().Format(time.RFC3339Nano)
		ttl = int64(t.ExpireTime.Sub(now).Seconds())
		if ttl < 0 {
			ttl = 0
		}
	}
	meta := any(t.Meta)
	if len(t.Meta) == 0 {
		meta = nil
	}
	d := map[string]any{
		"id": id, "accessor": t.Accessor, "policies": t.Policies, "path": t.Path, "meta": meta,
		"display_name": t.DisplayName, "num_uses": t.NumUses, "orphan": t.Orphan,
		"creation_time": t.CreationTime.Unix(), "creation_ttl": int64(t.CreationTTL.Seconds()),
		"expire_time": expire, "ttl": ttl, "explicit_max_ttl": int64(t.ExplicitMaxTTL.Seconds()),
		"entity_id": t.EntityID, "type": t.Type, "renewable": t.Renewable,
		"issue_time": t.IssueTime.UTC().Format(time.RFC3339Nano),
	}
	if t.Period > 0 {
		d["period"] = int64(t.Period.Seconds())
	}
	if len(t.BoundCIDRs) > 0 {
		d["bound_cidrs"] = t.BoundCIDRs
	}
	if !t.LastRenewal.IsZero() {
		d["last_renewal_time"] = t.LastRenewal.Unix()
		d["last_renewal"] = t.LastRenewal.UTC().Format(time.RFC3339Nano)
	}
	return d
}

func (a *API) lookupSelf(r *Request) (*Response, error) {
	return &Response{Data: a.withIdentityPolicies(tokenData(r.Caller.Token, r.Token, a.node.Now()), r.Caller.Token)}, nil
}

// withIdentityPolicies adds the policies a token gets through its entity
// and groups, shown by lookups when there are any.
func (a *API) withIdentityPolicies(d map[string]any, t *fsm.Token) map[string]any {
	if p := a.node.IdentityPolicies(t.EntityID); len(p) > 0 {
		d["identity_policies"] = p
	}
	return d
}

func (a *API) lookupToken(r *Request) (*Response, error) {
	raw, err := r.String("token", "")
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return a.lookupSelf(r)
	}
	t, err := a.node.LookupToken(raw)
	if err != nil {
		return nil, err
	}
	return &Response{Data: a.withIdentityPolicies(tokenData(t, raw, a.node.Now()), t)}, nil
}

func (a *API) accessorToken(r *Request) (*fsm.Token, error) {
	acc, err := r.String("accessor", "")
	if err != nil {
		return nil, err
	}
	if acc == "" {
		return nil, iamerr.New(iamerr.Invalid, "missing accessor")
	}
	return a.node.LookupAccessor(acc)
}

func (a *API) lookupAccessor(r *Request) (*Response, error) {
	t, err := a.accessorToken(r)
	if err != nil {
		return nil, err
	}
	return &Response{Data: a.withIdentityPolicies(tokenData(t, "", a.node.Now()), t)}, nil
}

func (a *API) renew(r *Request, t *fsm.Token, id string) (*Response, error) {
	inc, err := r.Duration("increment", 0)
	if err != nil {
		return nil, err
	}
	renewed, err := a.node.RenewToken(r.Context, t, inc)
	if err != nil {
		return nil, err
	}
	auth := AuthFor(&server.IssuedToken{ID: id, Token: renewed})
	if !renewed.ExpireTime.IsZero() {
		auth.LeaseDuration = int64(renewed.ExpireTime.Sub(a.node.Now()).Seconds())
	} else {
		auth.LeaseDuration = 0
	}
	return &Response{Auth: auth}, nil
}

func (a *API) renewSelf(r *Request) (*Response, error) {
	return a.renew(r, r.Caller.Token, r.Token)
}

func (a *API) renewToken(r *Request) (*Response, error) {
	raw, err := r.String("token", "")
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return nil, iamerr.New(iamerr.Invalid, "missing token ID")
	}
	t, err := a.node.LookupToken(raw)
	if err != nil {
		return nil, iamerr.New(iamerr.Invalid, "token not found")
	}
	return a.renew(r, t, raw)
}

func (a *API) renewAccessor(r *Request) (*Response, error) {
	t, err := a.accessorToken(r)
	if err != nil {
		return nil, err
	}
	return a.renew(r, t, "")
}

func (a *API) revokeToken(orphan bool) Handler {
	return func(r *Request) (*Response, error) {
		raw, err := r.String("token", "")
		if err != nil {
			return nil, err
		}
		if raw == "" {
			return nil, iamerr.New(iamerr.Invalid, "missing token ID")
		}
		if orphan && !a.node.HasSudo(r.Caller, r.Path) {
			return nil, iamerr.New(iamerr.Invalid, "root or sudo privileges required to revoke and orphan")
		}
		t, err := a.node.LookupToken(raw)
		if err != nil {
			return nil, nil // revoking an unknown token succeeds, as in Vault
		}
		return nil, a.node.RevokeToken(r.Context, t, orphan)
	}
}

func (a *API) revokeSelf(r *Request) (*Response, error) {
	return nil, a.node.RevokeToken(r.Context, r.Caller.Token, false)
}

func (a *API) revokeAccessor(r *Request) (*Response, error) {
	t, err := a.accessorToken(r)
	if err != nil {
		return nil, err
	}
	return nil, a.node.RevokeToken(r.Context, t, false)
}

func (a *API) listAccessors(r *Request) (*Response, error) {
	return listResponse(a.node.Accessors(), nil), nil
}
