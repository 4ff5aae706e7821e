package vault

import (
	"strings"
	"time"

	"iamd/server"
)

// The userpass auth method (spec/vault.md §6.1), served under any mount of
// type userpass: users CRUD, password and policy changes, and login.

type userpassBackend struct{ a *API }

// Route implements Backend.
func (b userpassBackend) Route(op server.VaultOperation, sub string) (Handler, bool, bool) {
	parts := strings.Split(sub, "/")
	switch {
	case sub == "users" && op == server.OpList:
		return b.a.listUserpassUsers, false, true
	case len(parts) == 2 && parts[0] == "users" && parts[1] != "":
		switch op {
		case server.OpRead:
			return b.a.readUserpassUser(parts[1]), false, true
		case server.OpUpdate, server.OpCreate:
			return b.a.writeUserpassUser(parts[1]), false, true
		case server.OpDelete:
			return b.a.deleteUserpassUser(parts[1]), false, true
		}
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "password" && op == server.OpUpdate:
		return b.a.setUserpassPassword(parts[1]), false, true
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "policies" && op == server.OpUpdate:
		return b.a.setUserpassPolicies(parts[1]), false, true
	case len(parts) == 2 && parts[0] == "login" && parts[1] != "" && op == server.OpUpdate:
		return b.a.loginUserpass(parts[1]), true, true
	}
	return nil, false, false
}

// tokenFields reads the token_* fields, accepting the legacy names
// (policies, ttl, max_ttl, bound_cidrs) when the new one is absent.
func tokenFields(f *fieldReader) server.TokenFieldsRequest {
	pick := func(name, legacy string) string {
		if !f.present(name) && f.present(legacy) {
			return legacy
		}
		return name
	}
	dur := func(name string) *time.Duration {
		if !f.present(name) {
			return nil
		}
		d, err := f.r.Duration(name, 0)
		f.keep(err)
		return &d
	}
	out := server.TokenFieldsRequest{
		Policies:        f.optStrings(pick("token_policies", "policies")),
		TTL:             dur(pick("token_ttl", "ttl")),
		MaxTTL:          dur(pick("token_max_ttl", "max_ttl")),
		ExplicitMaxTTL:  dur("token_explicit_max_ttl"),
		Period:          dur(pick("token_period", "period")),
		BoundCIDRs:      f.optStrings(pick("token_bound_cidrs", "bound_cidrs")),
		NoDefaultPolicy: f.optBool("token_no_default_policy"),
		Type:            f.optString("token_type"),
	}
	if f.present("token_num_uses") {
		n := f.integer("token_num_uses", 0)
		out.NumUses = &n
	}
	return out
}

func (a *API) writeUserpassUser(name string) Handler {
	return func(r *Request) (*Response, error) {
		f := fieldsOf(r)
		req := server.UserpassUserRequest{
			Password: f.optString("password"), PasswordHash: f.optString("password_hash"), Token: tokenFields(f),
		}
		if f.err != nil {
			return nil, f.err
		}
		return nil, a.node.WriteUserpassUser(r.Context, r.Mount, name, req)
	}
}

func (a *API) setUserpassPassword(name string) Handler {
	return func(r *Request) (*Response, error) {
		f := fieldsOf(r)
		req := server.UserpassUserRequest{Password: f.optString("password"), PasswordHash: f.optString("password_hash")}
		if f.err != nil {
			return nil, f.err
		}
		return nil, a.node.SetUserpassPassword(r.Context, r.Mount, name, req)
	}
}

func (a *API) setUserpassPolicies(name string) Handler {
	return func(r *Request) (*Response, error) {
		f := fieldsOf(r)
		field := "token_policies"
		if !f.present(field) && f.present("policies") {
			field = "policies"
		}
		p := f.optStrings(field)
		if f.err != nil {
			return nil, f.err
		}
		var list []string
		if p != nil {
			list = *p
		}
		return nil, a.node.SetUserpassPolicies(r.Context, r.Mount, name, list)
	}
}

func (a *API) readUserpassUser(name string) Handler {
	return func(r *Request) (*Response, error) {
		u := a.node.State().UserpassUser(r.Mount.Accessor, strings.ToLower(name))
		if u == nil {
			return nil, nil
		}
		t := u.Token
		secs := func(d time.Duration) int64 { return int64(d.Seconds()) }
		policies := emptyIfNil(t.Policies)
		cidrs := emptyIfNil(t.BoundCIDRs)
		typ := t.Type
		if typ == "" {
			typ = "default"
		}
		return &Response{Data: map[string]any{
			"token_policies": policies, "policies": policies,
			"token_ttl": secs(t.TTL), "ttl": secs(t.TTL),
			"token_max_ttl": secs(t.MaxTTL), "max_ttl": secs(t.MaxTTL),
			"token_explicit_max_ttl": secs(t.ExplicitMaxTTL), "token_period": secs(t.Period),
			"token_bound_cidrs": cidrs, "bound_cidrs": cidrs,
			"token_no_default_policy": t.NoDefaultPolicy, "token_num_uses": t.NumUses, "token_type": typ,
		}}, nil
	}
}

func (a *API) deleteUserpassUser(name string) Handler {
	return func(r *Request) (*Response, error) {
		return nil, a.node.DeleteUserpassUser(r.Context, r.Mount, name)
	}
}

func (a *API) listUserpassUsers(r *Request) (*Response, error) {
	var keys []string
	for _, u := range a.node.State().UserpassUsers(r.Mount.Accessor) {
		keys = append(keys, u.Username)
	}
	return listResponse(keys, nil), nil
}

func (a *API) loginUserpass(name string) Handler {
	return func(r *Request) (*Response, error) {
		password, err := r.String("password", "")
		if err != nil {
			return nil, err
		}
		creds, given, err := parseMFAHeader(r.Headers("X-Vault-MFA"))
		if err != nil {
			return nil, err
		}
		res, err := a.node.LoginUserpass(r.Context, r.Mount, name, password, creds, given)
		if err != nil {
			return nil, err
		}
		return a.loginResponse(res), nil
	}
}
