package vault

import (
	"iamd/server"
)

func (a *API) policyRoutes() []Route {
	return []Route{
		{Pattern: "sys/policies/acl", Ops: ops{server.OpList: a.listPolicies}},
		{Pattern: "sys/policies/acl/:name", Ops: ops{
			server.OpRead: a.readPolicy, server.OpUpdate: a.writePolicy, server.OpDelete: a.deletePolicy,
		}},
		// The older sys/policy paths answer with data copied to the top level.
		{Pattern: "sys/policy", InjectTopLevel: true, Ops: ops{server.OpRead: a.listPoliciesLegacy, server.OpList: a.listPoliciesLegacy}},
		{Pattern: "sys/policy/:name", InjectTopLevel: true, Ops: ops{
			server.OpRead: a.readPolicyLegacy, server.OpUpdate: a.writePolicy, server.OpDelete: a.deletePolicy,
		}},
		{Pattern: "sys/capabilities-self", InjectTopLevel: true, Ops: ops{server.OpUpdate: a.capabilitiesSelf}},
		{Pattern: "sys/capabilities", InjectTopLevel: true, Ops: ops{server.OpUpdate: a.capabilitiesOfToken}},
		{Pattern: "sys/capabilities-accessor", InjectTopLevel: true, Ops: ops{server.OpUpdate: a.capabilitiesOfAccessor}},
	}
}

func (a *API) listPolicies(r *Request) (*Response, error) {
	return listResponse(a.node.ACLPolicyNames(), nil), nil
}

func (a *API) listPoliciesLegacy(r *Request) (*Response, error) {
	names := a.node.ACLPolicyNames()
	return &Response{Data: map[string]any{"keys": names, "policies": names}}, nil
}

func (a *API) readPolicy(r *Request) (*Response, error) {
	text, ok := a.node.ACLPolicyText(r.Param("name"))
	if !ok {
		return nil, nil
	}
	return &Response{Data: map[string]any{"name": normalizedName(r), "policy": text}}, nil
}

func (a *API) readPolicyLegacy(r *Request) (*Response, error) {
	text, ok := a.node.ACLPolicyText(r.Param("name"))
	if !ok {
		return nil, nil
	}
	return &Response{Data: map[string]any{"name": normalizedName(r), "rules": text}}, nil
}

func normalizedName(r *Request) string {
	return lower(r.Param("name"))
}

func (a *API) writePolicy(r *Request) (*Response, error) {
	text, err := r.String("policy", "")
	if err != nil {
		return nil, err
	}
	if text == "" {
		if text, err = r.String("rules", ""); err != nil {
			return nil, err
		}
	}
	return nil, a.node.PutACLPolicy(r.Context, r.Param("name"), text)
}

func (a *API) deletePolicy(r *Request) (*Response, error) {
	return nil, a.node.DeleteACLPolicy(r.Context, r.Param("name"))
}

// capabilitiesResponse answers {"capabilities": [...], "<path>": [...]}.
func (a *API) capabilitiesResponse(r *Request, caller *server.Caller) (*Response, error) {
	paths, err := r.StringSlice("paths")
	if err != nil {
		return nil, err
	}
	if p, err := r.String("path", ""); err != nil {
		return nil, err
	} else if p != "" {
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return nil, invalidf("missing paths")
	}
	data := map[string]any{}
	var merged []string
	for _, p := range paths {
		caps := a.node.Capabilities(caller, p)
		data[p] = caps
		merged = caps
	}
	if len(paths) == 1 {
		data["capabilities"] = merged
	}
	return &Response{Data: data}, nil
}

func (a *API) capabilitiesSelf(r *Request) (*Response, error) {
	return a.capabilitiesResponse(r, r.Caller)
}

func (a *API) capabilitiesOfToken(r *Request) (*Response, error) {
	raw, err := r.String("token", "")
	if err != nil {
		return nil, err
	}
	caller, err := a.node.Authenticate(r.Context, raw)
	if err != nil {
		return nil, invalidf("invalid token")
	}
	return a.capabilitiesResponse(r, caller)
}

func (a *API) capabilitiesOfAccessor(r *Request) (*Response, error) {
	t, err := a.accessorToken(r)
	if err != nil {
		return nil, err
	}
	return a.capabilitiesResponse(r, &server.Caller{Token: t, Policies: t.Policies})
}
