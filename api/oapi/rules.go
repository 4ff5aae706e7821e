package oapi

import (
	"net/http"
	"strings"

	"iamd/fsm"
)

// API access rule actions (spec §1.6). A change after which the calling
// request itself would be refused is refused (4118, with the reason); a
// DryRun answers the rules that would be in force.

func init() {
	register("CreateApiAccessRule", "4122", createApiAccessRule)
	register("ReadApiAccessRules", "", readApiAccessRules)
	register("UpdateApiAccessRule", "4122", updateApiAccessRule)
	register("DeleteApiAccessRule", "", deleteApiAccessRule)
}

func ruleJSON(r *fsm.ApiAccessRule) map[string]any {
	return map[string]any{"ApiAccessRuleId": r.RuleID, "CaIds": nonNil(r.CAIDs), "Cns": nonNil(r.CNs),
		"Description": r.Description, "IpRanges": nonNil(r.IPRanges)}
}

func rulesJSON(rs []*fsm.ApiAccessRule) []map[string]any {
	out := make([]map[string]any, 0, len(rs))
	for _, r := range rs {
		out = append(out, ruleJSON(r))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type ruleIn struct {
	ApiAccessRuleId *string   `json:"ApiAccessRuleId"`
	CaIds           *[]string `json:"CaIds"`
	Cns             *[]string `json:"Cns"`
	Description     *string   `json:"Description"`
	DryRun          *bool     `json:"DryRun"`
	IpRanges        *[]string `json:"IpRanges"`
}

func (in *ruleIn) rule() fsm.ApiAccessRule {
	return fsm.ApiAccessRule{RuleID: str(in.ApiAccessRuleId), IPRanges: list(in.IpRanges), CAIDs: list(in.CaIds),
		CNs: list(in.Cns), Description: str(in.Description)}
}

func ruleChangeJSON(res *fsm.RuleChangeResult, dryRun bool) map[string]any {
	out := map[string]any{}
	if res.Rule != nil {
		out["ApiAccessRule"] = ruleJSON(res.Rule)
	}
	if dryRun {
		out["ApiAccessRules"] = rulesJSON(res.Rules)
	}
	return out
}

func createApiAccessRule(r *request) (map[string]any, error) {
	var in ruleIn
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if in.ApiAccessRuleId != nil {
		return nil, oapiErr(http.StatusBadRequest, "3001", "InvalidParameter", "The parameter ApiAccessRuleId is not known by CreateApiAccessRule")
	}
	res, err := r.api.node.CreateApiAccessRule(r.http.Context(), r.AccountID, in.rule(), r.dryRun)
	if err != nil {
		return nil, err
	}
	return ruleChangeJSON(res, r.dryRun), nil
}

func readApiAccessRules(r *request) (map[string]any, error) {
	var in struct {
		DryRun  *bool `json:"DryRun"`
		Filters *struct {
			ApiAccessRuleIds *[]string `json:"ApiAccessRuleIds"`
			CaIds            *[]string `json:"CaIds"`
			Cns              *[]string `json:"Cns"`
			Descriptions     *[]string `json:"Descriptions"`
			IpRanges         *[]string `json:"IpRanges"`
		} `json:"Filters"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var out []*fsm.ApiAccessRule
	for _, rule := range r.api.node.ApiAccessRules(r.AccountID) {
		f := in.Filters
		if f != nil && !(anyIn(f.ApiAccessRuleIds, rule.RuleID) && anyIn(f.CaIds, rule.CAIDs...) && anyIn(f.Cns, rule.CNs...) &&
			anyIn(f.Descriptions, rule.Description) && anyIn(f.IpRanges, rule.IPRanges...)) {
			continue
		}
		out = append(out, rule)
	}
	return map[string]any{"ApiAccessRules": rulesJSON(out)}, nil
}

// updateApiAccessRule replaces the whole rule: omitted lists are cleared.
func updateApiAccessRule(r *request) (map[string]any, error) {
	var in ruleIn
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if str(in.ApiAccessRuleId) == "" {
		return nil, missing("ApiAccessRuleId")
	}
	if !strings.HasPrefix(*in.ApiAccessRuleId, "aar-") {
		return nil, invalidValue("ApiAccessRuleId %q is not an API access rule ID (aar-...)", *in.ApiAccessRuleId)
	}
	if _, err := r.api.node.ApiAccessRule(r.AccountID, *in.ApiAccessRuleId); err != nil {
		return nil, invalidValue("%s", err.Error()) // unknown rule: 4118; unknown CaIds below: 4122
	}
	res, err := r.api.node.UpdateApiAccessRule(r.http.Context(), r.AccountID, in.rule(), r.dryRun)
	if err != nil {
		return nil, err
	}
	return ruleChangeJSON(res, r.dryRun), nil
}

func deleteApiAccessRule(r *request) (map[string]any, error) {
	var in struct {
		ApiAccessRuleId *string `json:"ApiAccessRuleId"`
		DryRun          *bool   `json:"DryRun"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if str(in.ApiAccessRuleId) == "" {
		return nil, missing("ApiAccessRuleId")
	}
	res, err := r.api.node.DeleteApiAccessRule(r.http.Context(), r.AccountID, *in.ApiAccessRuleId, r.dryRun)
	if err != nil {
		return nil, err
	}
	return ruleChangeJSON(res, r.dryRun), nil
}
