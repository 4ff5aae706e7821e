package vault

import (
	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// Login MFA configuration paths (spec/vault.md §5.1-5.2): TOTP methods, the
// type-independent method reads, and login enforcements. The static routes
// totp/generate, totp/admin-generate and totp/admin-destroy belong to the
// login flow (login.go); echo prefers static segments over :method_id.

func (a *API) mfaRoutes() []Route {
	// The login flow's paths (login.go) ride along with the configuration
	// paths, so that router.go lists one MFA group.
	return append(a.loginRoutes(), []Route{
		identityRoute("mfa/method", ops{server.OpList: a.listMFAMethods("")}),
		identityRoute("mfa/method/:method_id", ops{server.OpRead: a.readMFAMethod("")}),
		identityRoute("mfa/method/totp", ops{
			server.OpUpdate: a.createTOTPMethod, server.OpList: a.listMFAMethods(server.MFATypeTOTP),
		}),
		identityRoute("mfa/method/totp/:method_id", ops{
			server.OpRead: a.readMFAMethod(server.MFATypeTOTP), server.OpUpdate: a.updateTOTPMethod,
			server.OpDelete: a.deleteTOTPMethod,
		}),
		identityRoute("mfa/login-enforcement", ops{server.OpList: a.listEnforcements}),
		identityRoute("mfa/login-enforcement/:name", ops{
			server.OpRead: a.readEnforcement, server.OpUpdate: a.writeEnforcement,
			server.OpDelete: a.deleteEnforcement,
		}),
	}...)
}

// totpRequest reads a TOTP method body over the spec's defaults.
func totpRequest(r *Request) (server.TOTPMethodRequest, error) {
	f := fieldsOf(r)
	req := server.DefaultTOTPMethod()
	req.MethodName = f.str("method_name", "")
	req.Issuer = f.str("issuer", "")
	req.Period = f.seconds("period", req.Period)
	req.KeySize = f.integer("key_size", req.KeySize)
	req.QRSize = f.integer("qr_size", req.QRSize)
	req.Algorithm = f.str("algorithm", req.Algorithm)
	req.Digits = f.integer("digits", req.Digits)
	req.Skew = f.integer("skew", req.Skew)
	req.MaxValidationAttempts = f.integer("max_validation_attempts", req.MaxValidationAttempts)
	if b := f.optBool("self_enrollment_enabled"); b != nil {
		req.SelfEnrollment = *b
	}
	return req, f.err
}

func (a *API) createTOTPMethod(r *Request) (*Response, error) {
	req, err := totpRequest(r)
	if err != nil {
		return nil, err
	}
	id, err := a.node.CreateTOTPMethod(r.Context, req)
	if err != nil {
		return nil, err
	}
	return &Response{Data: map[string]any{"method_id": id}}, nil
}

func (a *API) updateTOTPMethod(r *Request) (*Response, error) {
	req, err := totpRequest(r)
	if err != nil {
		return nil, err
	}
	return nil, a.node.UpdateTOTPMethod(r.Context, r.Param("method_id"), req)
}

// deleteTOTPMethod refuses a method an enforcement uses with Vault's
// message and status: Vault returns the refusal as a plain Go error, which
// its HTTP layer answers with 500 (spec/vault.md §5.1), and clients match
// on that.
func (a *API) deleteTOTPMethod(r *Request) (*Response, error) {
	err := a.node.DeleteMFAMethod(r.Context, r.Param("method_id"), server.MFATypeTOTP)
	if err != nil && iamerr.As(err).Code == fsm.ErrCodeMethodInUse {
		return nil, iamerr.New(iamerr.Internal, "%s", iamerr.As(err).Message)
	}
	return nil, err
}

// mfaMethodData is the read answer for a method (spec/vault.md §5.1).
func mfaMethodData(m *fsm.MFAMethod) map[string]any {
	t := m.TOTP
	return map[string]any{
		"id": m.ID, "name": m.Name, "type": m.Type, "namespace_id": rootNamespace, "namespace_path": "",
		"issuer": t.Issuer, "period": t.Period, "digits": t.Digits, "skew": t.Skew, "key_size": t.KeySize,
		"qr_size": t.QRSize, "algorithm": t.Algorithm, "max_validation_attempts": t.MaxValidationAttempts,
		"self_enrollment_enabled": t.SelfEnrollment,
	}
}

// readMFAMethod reads a method; typ "" accepts any type.
func (a *API) readMFAMethod(typ string) Handler {
	return func(r *Request) (*Response, error) {
		m := a.node.State().MFAMethod(r.Param("method_id"))
		if m == nil {
			return nil, nil
		}
		if typ != "" && m.Type != typ {
			return nil, invalidf("failed to find the method ID under MFA type %s.", typ)
		}
		return &Response{Data: mfaMethodData(m)}, nil
	}
}

func (a *API) listMFAMethods(typ string) Handler {
	return func(r *Request) (*Response, error) {
		var keys []string
		info := map[string]any{}
		for _, m := range a.node.State().MFAMethods(typ) {
			keys = append(keys, m.ID)
			info[m.ID] = mfaMethodData(m)
		}
		return listResponse(keys, info), nil
	}
}

func (a *API) writeEnforcement(r *Request) (*Response, error) {
	f := fieldsOf(r)
	req := server.LoginEnforcementRequest{
		MFAMethodIDs:        f.optStrings("mfa_method_ids"),
		AuthMethodAccessors: f.optStrings("auth_method_accessors"),
		AuthMethodTypes:     f.optStrings("auth_method_types"),
		IdentityGroupIDs:    f.optStrings("identity_group_ids"),
		IdentityEntityIDs:   f.optStrings("identity_entity_ids"),
	}
	if f.err != nil {
		return nil, f.err
	}
	return nil, a.node.PutLoginEnforcement(r.Context, r.Param("name"), req)
}

// enforcementData is the read answer for an enforcement: lists are [],
// never null (spec/vault.md §5.2).
func enforcementData(e *fsm.LoginEnforcement) map[string]any {
	return map[string]any{
		"name": e.Name, "id": e.ID, "namespace_id": rootNamespace, "namespace_path": "",
		"mfa_method_ids":        emptyIfNil(e.MFAMethodIDs),
		"auth_method_accessors": emptyIfNil(e.AuthMethodAccessors),
		"auth_method_types":     emptyIfNil(e.AuthMethodTypes),
		"identity_group_ids":    emptyIfNil(e.IdentityGroupIDs),
		"identity_entity_ids":   emptyIfNil(e.IdentityEntityIDs),
	}
}

func (a *API) readEnforcement(r *Request) (*Response, error) {
	e := a.node.State().LoginEnforcement(r.Param("name"))
	if e == nil {
		return nil, nil
	}
	return &Response{Data: enforcementData(e)}, nil
}

func (a *API) deleteEnforcement(r *Request) (*Response, error) {
	return nil, a.node.DeleteLoginEnforcement(r.Context, r.Param("name"))
}

// enforcementInfo is enforcementData as a struct, for the key_info of a
// LIST: encoding/json writes a struct with no map to build and no keys to
// sort per entry, which made a LIST cost twice a read. The fields are in
// the map's key order, so the bytes are the same (mfa_internal_test.go).
type enforcementInfo struct {
	AuthMethodAccessors []string `json:"auth_method_accessors"`
	AuthMethodTypes     []string `json:"auth_method_types"`
	ID                  string   `json:"id"`
	IdentityEntityIDs   []string `json:"identity_entity_ids"`
	IdentityGroupIDs    []string `json:"identity_group_ids"`
	MFAMethodIDs        []string `json:"mfa_method_ids"`
	Name                string   `json:"name"`
	NamespaceID         string   `json:"namespace_id"`
	NamespacePath       string   `json:"namespace_path"`
}

func enforcementInfoOf(e *fsm.LoginEnforcement) *enforcementInfo {
	return &enforcementInfo{
		AuthMethodAccessors: emptyIfNil(e.AuthMethodAccessors), AuthMethodTypes: emptyIfNil(e.AuthMethodTypes),
		ID: e.ID, IdentityEntityIDs: emptyIfNil(e.IdentityEntityIDs), IdentityGroupIDs: emptyIfNil(e.IdentityGroupIDs),
		MFAMethodIDs: emptyIfNil(e.MFAMethodIDs), Name: e.Name, NamespaceID: rootNamespace, NamespacePath: "",
	}
}

func (a *API) listEnforcements(r *Request) (*Response, error) {
	var keys []string
	info := map[string]any{}
	for _, e := range a.node.State().LoginEnforcements() {
		keys = append(keys, e.Name)
		info[e.Name] = enforcementInfoOf(e)
	}
	return listResponse(keys, info), nil
}
