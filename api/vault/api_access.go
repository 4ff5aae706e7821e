package vault

import (
	"time"

	"iamd/fsm"
	"iamd/server"
)

// API access policy, rules and client CAs in the Vault dialect (spec
// account-security.md §5.2; docs/api-access.md), over the same server
// operations as OAPI. Tokens act on the default account. Every write takes
// dry_run=true (in the body, or the query string on DELETE): the same
// checks on local state, nothing written, the effect answered with
// "dry_run": true.
//
//	sys/security/api-access/policy     GET; POST {max_access_key_expiration_seconds, require_trusted_env}
//	sys/security/api-access/rules      LIST; POST {ip_ranges, ca_ids, cns, description}
//	sys/security/api-access/rules/:id  GET; POST (full replacement); DELETE
//	sys/security/api-access/cas        LIST; POST {ca_pem, description}
//	sys/security/api-access/cas/:id    GET; POST {description}; DELETE

func (a *API) apiAccessRoutes() []Route {
	const base = "sys/security/api-access/"
	return []Route{
		{Pattern: base + "policy", Ops: ops{server.OpRead: a.readAccessPolicy, server.OpUpdate: a.writeAccessPolicy}},
		{Pattern: base + "rules", Ops: ops{server.OpList: a.listAccessRules, server.OpUpdate: a.createAccessRule}},
		{Pattern: base + "rules/:id", Ops: ops{server.OpRead: a.readAccessRule, server.OpUpdate: a.updateAccessRule,
			server.OpDelete: a.deleteAccessRule}},
		{Pattern: base + "cas", Ops: ops{server.OpList: a.listClientCAs, server.OpUpdate: a.createClientCA}},
		{Pattern: base + "cas/:id", Ops: ops{server.OpRead: a.readClientCA, server.OpUpdate: a.updateClientCA,
			server.OpDelete: a.deleteClientCA}},
	}
}

// dryRun reads dry_run from the body or, for DELETE, the query string.
func dryRun(r *Request) (bool, error) {
	if !r.Has("dry_run") {
		if q := r.echo.QueryParam("dry_run"); q != "" {
			r.Data["dry_run"] = q
		}
	}
	return r.Bool("dry_run", false)
}

func withDryRun(data map[string]any, dry bool) *Response {
	if dry {
		data["dry_run"] = true
	}
	return &Response{Data: data}
}

func accessPolicyData(p *fsm.ApiAccessPolicy) map[string]any {
	return map[string]any{"max_access_key_expiration_seconds": p.MaxAccessKeyExpirationSeconds,
		"require_trusted_env": p.RequireTrustedEnv}
}

func (a *API) readAccessPolicy(r *Request) (*Response, error) {
	return &Response{Data: accessPolicyData(a.node.ApiAccessPolicy(""))}, nil
}

// writeAccessPolicy needs both fields, as OAPI's UpdateApiAccessPolicy.
func (a *API) writeAccessPolicy(r *Request) (*Response, error) {
	for _, f := range []string{"max_access_key_expiration_seconds", "require_trusted_env"} {
		if !r.Has(f) {
			return nil, invalidf("%s is required", f)
		}
	}
	maxSeconds, err := r.Int("max_access_key_expiration_seconds", 0)
	if err != nil {
		return nil, err
	}
	trusted, err := r.Bool("require_trusted_env", false)
	if err != nil {
		return nil, err
	}
	dry, err := dryRun(r)
	if err != nil {
		return nil, err
	}
	p, err := a.node.UpdateApiAccessPolicy(r.Context, "", int64(maxSeconds), trusted, dry)
	if err != nil {
		return nil, err
	}
	return withDryRun(accessPolicyData(p), dry), nil
}

func accessRuleData(rule *fsm.ApiAccessRule) map[string]any {
	return map[string]any{"id": rule.RuleID, "ip_ranges": emptyIfNil(rule.IPRanges), "ca_ids": emptyIfNil(rule.CAIDs),
		"cns": emptyIfNil(rule.CNs), "description": rule.Description}
}

// ruleChangeData is the changed rule; a dry run adds the rules that
// would be in force.
func ruleChangeData(res *fsm.RuleChangeResult, dry bool) *Response {
	data := map[string]any{}
	if res.Rule != nil {
		data = accessRuleData(res.Rule)
	}
	if dry {
		rules := make([]map[string]any, 0, len(res.Rules))
		for _, rule := range res.Rules {
			rules = append(rules, accessRuleData(rule))
		}
		data["rules"] = rules
	}
	return withDryRun(data, dry)
}

func (a *API) listAccessRules(r *Request) (*Response, error) {
	var keys []string
	info := map[string]any{}
	for _, rule := range a.node.ApiAccessRules("") {
		keys = append(keys, rule.RuleID)
		info[rule.RuleID] = accessRuleData(rule)
	}
	return listResponse(keys, info), nil
}

func (a *API) readAccessRule(r *Request) (*Response, error) {
	rule, err := a.node.ApiAccessRule("", r.Param("id"))
	if err != nil {
		return nil, err
	}
	return &Response{Data: accessRuleData(rule)}, nil
}

// ruleFromRequest reads a rule's fields; omitted lists are empty (a
// POST on a rule replaces it wholesale, as OAPI's UpdateApiAccessRule).
func ruleFromRequest(r *Request) (fsm.ApiAccessRule, bool, error) {
	var rule fsm.ApiAccessRule
	var err error
	for f, dst := range map[string]*[]string{"ip_ranges": &rule.IPRanges, "ca_ids": &rule.CAIDs, "cns": &rule.CNs} {
		if *dst, err = r.StringSlice(f); err != nil {
			return rule, false, err
		}
	}
	if rule.Description, err = r.String("description", ""); err != nil {
		return rule, false, err
	}
	dry, err := dryRun(r)
	return rule, dry, err
}

func (a *API) createAccessRule(r *Request) (*Response, error) {
	rule, dry, err := ruleFromRequest(r)
	if err != nil {
		return nil, err
	}
	res, err := a.node.CreateApiAccessRule(r.Context, "", rule, dry)
	if err != nil {
		return nil, err
	}
	return ruleChangeData(res, dry), nil
}

func (a *API) updateAccessRule(r *Request) (*Response, error) {
	rule, dry, err := ruleFromRequest(r)
	if err != nil {
		return nil, err
	}
	if _, err := a.node.ApiAccessRule("", r.Param("id")); err != nil {
		return nil, err
	}
	rule.RuleID = r.Param("id")
	res, err := a.node.UpdateApiAccessRule(r.Context, "", rule, dry)
	if err != nil {
		return nil, err
	}
	return ruleChangeData(res, dry), nil
}

// deleteAccessRule answers 204, or the rules that would remain on a dry run.
func (a *API) deleteAccessRule(r *Request) (*Response, error) {
	dry, err := dryRun(r)
	if err != nil {
		return nil, err
	}
	res, err := a.node.DeleteApiAccessRule(r.Context, "", r.Param("id"), dry)
	if err != nil || !dry {
		return nil, err
	}
	return ruleChangeData(res, dry), nil
}

func clientCAData(ca *fsm.ClientCA) map[string]any {
	return map[string]any{"id": ca.CAID, "fingerprint": ca.Fingerprint, "description": ca.Description,
		"ca_pem": ca.PEM, "creation_time": ca.CreateDate.UTC().Format(time.RFC3339)}
}

func (a *API) listClientCAs(r *Request) (*Response, error) {
	var keys []string
	info := map[string]any{}
	for _, ca := range a.node.ClientCAs("") {
		keys = append(keys, ca.CAID)
		info[ca.CAID] = map[string]any{"fingerprint": ca.Fingerprint, "description": ca.Description}
	}
	return listResponse(keys, info), nil
}

func (a *API) readClientCA(r *Request) (*Response, error) {
	ca, err := a.node.ClientCA("", r.Param("id"))
	if err != nil {
		return nil, err
	}
	return &Response{Data: clientCAData(ca)}, nil
}

func (a *API) createClientCA(r *Request) (*Response, error) {
	pemText, err := r.String("ca_pem", "")
	if err != nil {
		return nil, err
	}
	if pemText == "" {
		return nil, invalidf("ca_pem is required")
	}
	desc, err := r.String("description", "")
	if err != nil {
		return nil, err
	}
	dry, err := dryRun(r)
	if err != nil {
		return nil, err
	}
	ca, err := a.node.CreateClientCA(r.Context, "", pemText, desc, dry)
	if err != nil {
		return nil, err
	}
	return withDryRun(clientCAData(ca), dry), nil
}

func (a *API) updateClientCA(r *Request) (*Response, error) {
	desc, err := r.String("description", "")
	if err != nil {
		return nil, err
	}
	dry, err := dryRun(r)
	if err != nil {
		return nil, err
	}
	ca, err := a.node.UpdateClientCA(r.Context, "", r.Param("id"), desc, dry)
	if err != nil {
		return nil, err
	}
	return withDryRun(clientCAData(ca), dry), nil
}

func (a *API) deleteClientCA(r *Request) (*Response, error) {
	dry, err := dryRun(r)
	if err != nil {
		return nil, err
	}
	if err := a.node.DeleteClientCA(r.Context, "", r.Param("id"), dry); err != nil || !dry {
		return nil, err
	}
	return &Response{Data: map[string]any{"id": r.Param("id"), "dry_run": true}}, nil
}
