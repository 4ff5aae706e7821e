package policy

// Request is what is being authorized.
type Request struct {
	// Action is "service:Name"; matched case-insensitively.
	Action string
	// Resource is an ARN (or "*"); matched case-sensitively.
	Resource string
	// Principal is the caller, for trust and resource-based policies;
	// nil when only identity policies are evaluated.
	Principal *Principal
	// Context holds the condition keys, names lower-cased
	// ("aws:sourceip", "aws:principaltag/team"). A key with no values is
	// treated as absent.
	Context map[string][]string
	// ContextFunc, when Context is nil, supplies it the first time a
	// statement reads condition keys (a condition, or a policy variable in
	// its resources). Most requests match only statements without either,
	// and building the keys (times, addresses, tags) is most of what
	// authorizing them would otherwise allocate.
	ContextFunc func() map[string][]string
}

// resolveContext fills Context from ContextFunc once it is needed.
func (r *Request) resolveContext() {
	if r.Context == nil && r.ContextFunc != nil {
		r.Context, r.ContextFunc = r.ContextFunc(), nil
	}
}

// Decision is the outcome of evaluating a request.
type Decision int

const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

// String returns the EvalDecision text of SimulatePrincipalPolicy.
func (d Decision) String() string {
	switch d {
	case Allow:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// Source is one policy of the set being evaluated. ID names it in matched
// statements (for example "user/alice/inline-name" or a managed policy ARN).
type Source struct {
	ID     string
	Policy *Policy
}

// MatchedStatement is a statement that decided the request.
type MatchedStatement struct {
	SourceID string
	Sid      string
	Index    int // position of the statement in its policy, from 0
	Effect   string
	Start    Position
	End      Position
}

// Result is a decision and the statements behind it: for explicitDeny the
// matching Deny statements only, for allowed the matching Allow statements,
// for implicitDeny none.
type Result struct {
	Decision Decision
	Matched  []MatchedStatement
}

// Evaluate applies AWS's evaluation logic to the policy set: a matching
// Deny anywhere wins, else a matching Allow allows, else the request is
// implicitly denied. Order of sources and statements does not matter.
// Intersections (session policies, permissions boundaries) are the
// caller's: evaluate each set and combine the decisions.
func Evaluate(sources []Source, req Request) Result {
	var res Result
	for _, src := range sources {
		if src.Policy == nil {
			continue
		}
		for i := range src.Policy.Statements {
			st := &src.Policy.Statements[i]
			if (res.Decision == ExplicitDeny && st.Effect != EffectDeny) || !st.matches(&req) {
				continue
			}
			if st.Effect == EffectDeny && res.Decision != ExplicitDeny {
				res.Decision, res.Matched = ExplicitDeny, res.Matched[:0]
			} else if st.Effect == EffectAllow {
				res.Decision = Allow
			}
			res.Matched = append(res.Matched, st.matched(src.ID, i))
		}
	}
	return res
}

// Decide is Evaluate without the matched statements, for the request path:
// it allocates nothing and stops at the first matching Deny.
func Decide(sources []Source, req Request) Decision {
	d := ImplicitDeny
	for _, src := range sources {
		if src.Policy == nil {
			continue
		}
		for i := range src.Policy.Statements {
			st := &src.Policy.Statements[i]
			if st.Effect == EffectAllow && d == Allow {
				continue // already allowed; only a Deny can change that
			}
			if !st.matches(&req) {
				continue
			}
			if st.Effect == EffectDeny {
				return ExplicitDeny
			}
			d = Allow
		}
	}
	return d
}

// matches reports whether the statement applies to the request. The
// cheapest and most selective test (the action) runs first.
func (st *Statement) matches(req *Request) bool {
	if !st.actions.match(req.Action, nil) {
		return false
	}
	if st.needsContext {
		req.resolveContext()
	}
	if !st.resources.match(req.Resource, req.Context) {
		return false
	}
	if !st.principals.match(req.Principal) {
		return false
	}
	for i := range st.conds {
		if !st.conds[i].eval(req.Context) {
			return false
		}
	}
	return true
}

func (st *Statement) matched(source string, index int) MatchedStatement {
	return MatchedStatement{
		SourceID: source, Sid: st.Sid, Index: index, Effect: st.Effect.String(),
		Start: st.Start, End: st.End,
	}
}
