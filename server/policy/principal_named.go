package policy

// AllowsNamedPrincipal reports whether an Allow statement that matches req
// names one of req.Principal's ARNs explicitly, not through "*" or an
// account. A role trust policy that names its caller so grants AssumeRole
// by itself; one that names only the account needs the caller's identity
// policies to allow too (spec/aws-iam.md §5.3).
func AllowsNamedPrincipal(sources []Source, req Request) bool {
	if req.Principal == nil {
		return false
	}
	for _, src := range sources {
		if src.Policy == nil {
			continue
		}
		for i := range src.Policy.Statements {
			st := &src.Policy.Statements[i]
			if st.Effect != EffectAllow || st.principals.not || !st.matches(&req) {
				continue
			}
			for _, a := range req.Principal.AWS {
				if contains(st.principals.arns, a) {
					return true
				}
			}
		}
	}
	return false
}

// PrincipalARNs returns the ARNs the policy's Principal and NotPrincipal
// elements name (not "*", account IDs or account root ARNs), each once, in
// the order they appear.
func (p *Policy) PrincipalARNs() []string {
	var out []string
	for i := range p.Statements {
		for _, a := range p.Statements[i].principals.arns {
			if !contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}
