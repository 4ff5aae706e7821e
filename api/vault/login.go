package vault

import (
	"strings"

	"iamd/server"
)

// Login answers and the login MFA paths (spec/vault.md §5.1, §5.3-5.5):
// sys/mfa/validate, TOTP enrolment, and sys/locked-users. The userpass
// backend is registered here too, as the first login method.

// mfaWarning is the warning of a login that waits for sys/mfa/validate.
const mfaWarning = "A login request was issued that is subject to MFA validation. Please make sure to validate the login by sending another request to mfa/validate endpoint."

func (a *API) loginRoutes() []Route {
	a.RegisterBackend("userpass", userpassBackend{a})
	return []Route{
		{Pattern: "sys/mfa/validate", Unauthenticated: true, Ops: ops{server.OpUpdate: a.validateMFA}},
		identityRoute("mfa/method/totp/generate", ops{server.OpUpdate: a.generateTOTP(false)}),
		identityRoute("mfa/method/totp/admin-generate", ops{server.OpUpdate: a.generateTOTP(true)}),
		identityRoute("mfa/method/totp/admin-destroy", ops{server.OpUpdate: a.destroyTOTP}),
		{Pattern: "sys/locked-users", Ops: ops{server.OpRead: a.lockedUsers}},
		{Pattern: "sys/locked-users/:accessor/unlock/:alias", Ops: ops{server.OpUpdate: a.unlockUser}},
	}
}

// parseMFAHeader reads X-Vault-MFA headers: "<method id or name>[:<code>]",
// the code optionally as "passcode=<code>"; empty headers are skipped.
func parseMFAHeader(values []string) ([]server.MFACredential, bool, error) {
	var out []server.MFACredential
	for _, v := range values {
		if v == "" {
			continue
		}
		name, code, _ := strings.Cut(v, ":")
		if name == "" {
			return nil, false, invalidf(`failed to parse X-Vault-MFA header: invalid data in header "X-Vault-MFA"; missing method name or ID`)
		}
		if strings.Contains(v, ":") && code == "" {
			return nil, false, invalidf(`failed to parse X-Vault-MFA header: invalid data in header "X-Vault-MFA"; missing method value`)
		}
		out = append(out, server.MFACredential{Method: name, Passcode: strings.TrimPrefix(code, "passcode=")})
	}
	return out, len(out) > 0, nil
}

// loginResponse renders a login: the auth block with the token, or the
// MFA requirement with an empty token.
func (a *API) loginResponse(res *server.LoginResult) *Response {
	if req := res.Requirement; req != nil {
		constraints := map[string]any{}
		for name, methods := range req.Constraints {
			anyOf := make([]map[string]any, 0, len(methods))
			for _, m := range methods {
				entry := map[string]any{"type": m.Type, "id": m.ID, "uses_passcode": m.UsesPasscode, "name": m.Name}
				if m.Enrollment != nil {
					entry["self_enrollment"] = map[string]any{"url": m.Enrollment.URL, "barcode": m.Enrollment.Barcode}
				}
				anyOf = append(anyOf, entry)
			}
			constraints[name] = map[string]any{"any": anyOf}
		}
		return &Response{Warnings: []string{mfaWarning}, Auth: &Auth{
			MFARequirement: map[string]any{"mfa_request_id": req.RequestID, "mfa_constraints": constraints},
		}}
	}
	auth := AuthFor(res.Issued)
	identity := a.node.IdentityPolicies(res.Issued.Token.EntityID)
	auth.IdentityPolicies = identity
	auth.Policies = mergePolicies(auth.TokenPolicies, identity)
	return &Response{Auth: auth, Warnings: res.Warnings}
}

func mergePolicies(a, b []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, list := range [][]string{a, b} {
		for _, p := range list {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func (a *API) validateMFA(r *Request) (*Response, error) {
	id, err := r.String("mfa_request_id", "")
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, invalidf("missing request ID")
	}
	raw, ok := r.Data["mfa_payload"]
	if !ok || raw == nil {
		return nil, invalidf("missing mfa payload")
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, invalidf("invalid mfa payload")
	}
	payload := make(map[string]string, len(m))
	for key, v := range m {
		list, ok := v.([]any)
		if !ok {
			return nil, invalidf("invalid mfa payload")
		}
		values := make([]string, 0, len(list))
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				return nil, invalidf("invalid mfa payload")
			}
			values = append(values, s)
		}
		code, err := server.ParseMFAValues(values)
		if err != nil {
			return nil, err
		}
		payload[key] = code
	}
	res, err := a.node.ValidateMFA(r.Context, id, payload)
	if err != nil {
		return nil, err
	}
	return a.loginResponse(res), nil
}

// generateTOTP is totp/generate (the caller's own entity) and
// totp/admin-generate (entity_id from the body).
func (a *API) generateTOTP(admin bool) Handler {
	return func(r *Request) (*Response, error) {
		f := fieldsOf(r)
		methodID := f.str("method_id", "")
		entityID := ""
		if admin {
			entityID = f.str("entity_id", "")
		} else if r.Caller != nil && r.Caller.Token != nil {
			entityID = r.Caller.Token.EntityID
		}
		if f.err != nil {
			return nil, f.err
		}
		if methodID == "" {
			return nil, invalidf("missing method ID")
		}
		if entityID == "" {
			return nil, invalidf("missing entityID")
		}
		enr, name, exists, err := a.node.GenerateTOTP(r.Context, methodID, entityID)
		if err != nil {
			return nil, err
		}
		if exists {
			return &Response{Warnings: []string{`Entity already has a secret for MFA method "` + name + `"`}}, nil
		}
		data := map[string]any{"url": enr.URL}
		if enr.Barcode != "" {
			data["barcode"] = enr.Barcode
		}
		return &Response{Data: data}, nil
	}
}

func (a *API) destroyTOTP(r *Request) (*Response, error) {
	f := fieldsOf(r)
	methodID, entityID := f.str("method_id", ""), f.str("entity_id", "")
	if f.err != nil {
		return nil, f.err
	}
	if methodID == "" {
		return nil, invalidf("missing method ID")
	}
	if entityID == "" {
		return nil, invalidf("missing entity ID")
	}
	return nil, a.node.DestroyTOTP(r.Context, methodID, entityID)
}
