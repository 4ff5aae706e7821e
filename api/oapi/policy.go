package oapi

import "iamd/fsm"

// API access policy actions (spec §1.5).

func init() {
	register("ReadApiAccessPolicy", "", readApiAccessPolicy)
	register("UpdateApiAccessPolicy", "", updateApiAccessPolicy)
}

func policyJSON(p *fsm.ApiAccessPolicy) map[string]any {
	return map[string]any{"MaxAccessKeyExpirationSeconds": p.MaxAccessKeyExpirationSeconds, "RequireTrustedEnv": p.RequireTrustedEnv}
}

func readApiAccessPolicy(r *request) (map[string]any, error) {
	var in struct {
		DryRun *bool `json:"DryRun"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return map[string]any{"ApiAccessPolicy": policyJSON(r.api.node.ApiAccessPolicy(r.AccountID))}, nil
}

// updateApiAccessPolicy needs both fields; a DryRun runs every check
// against the current keys and rules and answers the policy that would
// result.
func updateApiAccessPolicy(r *request) (map[string]any, error) {
	var in struct {
		DryRun                        *bool  `json:"DryRun"`
		MaxAccessKeyExpirationSeconds *int64 `json:"MaxAccessKeyExpirationSeconds"`
		RequireTrustedEnv             *bool  `json:"RequireTrustedEnv"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	switch {
	case in.MaxAccessKeyExpirationSeconds == nil:
		return nil, missing("MaxAccessKeyExpirationSeconds")
	case in.RequireTrustedEnv == nil:
		return nil, missing("RequireTrustedEnv")
	}
	p, err := r.api.node.UpdateApiAccessPolicy(r.http.Context(), r.AccountID, *in.MaxAccessKeyExpirationSeconds, *in.RequireTrustedEnv, r.dryRun)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ApiAccessPolicy": policyJSON(p)}, nil
}
