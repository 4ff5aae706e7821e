package server

import (
	"fmt"
	"strconv"
	"strings"

	"iamd/fsm"
	"iamd/server/policy"
)

// SimulatePrincipalPolicy and SimulateCustomPolicy (spec §7): the same
// evaluator as the request path, with matched statements and the context
// keys the policies wanted but the caller did not supply. This is how an
// S3 gateway asks "may this principal do s3:GetObject on this ARN?".

// ContextEntry is one ContextEntries member: a condition key and its
// values (several for the *List types).
type ContextEntry struct {
	Key    string
	Type   string
	Values []string
}

// SimulateRequest is the input of both simulations. PolicySourceArn is
// SimulatePrincipalPolicy's principal ("" for SimulateCustomPolicy).
type SimulateRequest struct {
	PolicySourceArn     string
	PolicyInputList     []string
	PermissionsBoundary []string
	ActionNames         []string
	ResourceArns        []string
	CallerArn           string
	ContextEntries      []ContextEntry
	Marker              string
	MaxItems            int
}

// SimulatedStatement is a statement that decided a simulated request.
type SimulatedStatement struct {
	SourcePolicyID   string
	SourcePolicyType string
	Start, End       policy.Position
}

// EvaluationResult is the decision for one (action, resource) pair.
type EvaluationResult struct {
	ActionName           string
	ResourceName         string
	Decision             string // allowed | explicitDeny | implicitDeny
	MatchedStatements    []SimulatedStatement
	MissingContextValues []string
	// ResourceSpecific is set when ResourceArns were given: the answer
	// then repeats the decision under ResourceSpecificResults.
	ResourceSpecific bool
	index            int
}

// SimulatePrincipalPolicy simulates the policies of a user (with its
// groups), a group or a role, plus PolicyInputList. A role's set is what
// its sessions get before any session policy (which PermissionsBoundary
// can carry).
func (n *Node) SimulatePrincipalPolicy(c *AWSCaller, req SimulateRequest) (Page[*EvaluationResult], error) {
	if err := n.AuthorizeIAM(c, "iam:SimulatePrincipalPolicy", req.PolicySourceArn); err != nil {
		return Page[*EvaluationResult]{}, err
	}
	st := n.fsm.State()
	var set *policySet
	var sourceUser *fsm.IAMUser
	switch kind, entity := principalArnEntity(c.AccountID, req.PolicySourceArn); kind {
	case "user":
		u := st.IAMUser(c.AccountID, entity)
		if u == nil || UserArn(u) != req.PolicySourceArn {
			return Page[*EvaluationResult]{}, noSuchEntity("The user with name %s cannot be found.", entity)
		}
		set, sourceUser = n.userPolicySources(st, u), u
	case "group":
		g := st.IAMGroup(c.AccountID, entity)
		if g == nil || GroupArn(g) != req.PolicySourceArn {
			return Page[*EvaluationResult]{}, noSuchGroupNamed(entity)
		}
		set = n.groupPolicySources(st, g)
	case "role":
		r := st.IAMRole(c.AccountID, entity)
		if r == nil || RoleArn(r) != req.PolicySourceArn {
			return Page[*EvaluationResult]{}, noSuchEntity("The role with name %s cannot be found.", entity)
		}
		set = n.rolePolicySources(st, r)
	default:
		return Page[*EvaluationResult]{}, invalidInput("Invalid ARN %s.", req.PolicySourceArn)
	}
	if req.CallerArn == "" && sourceUser != nil {
		req.CallerArn = UserArn(sourceUser)
	}
	return n.simulate(st, c, set, req)
}

// SimulateCustomPolicy simulates PolicyInputList alone.
func (n *Node) SimulateCustomPolicy(c *AWSCaller, req SimulateRequest) (Page[*EvaluationResult], error) {
	if err := n.AuthorizeIAM(c, "iam:SimulateCustomPolicy", "*"); err != nil {
		return Page[*EvaluationResult]{}, err
	}
	return n.simulate(n.fsm.State(), c, &policySet{}, req)
}

func (n *Node) simulate(st *fsm.State, c *AWSCaller, set *policySet, req SimulateRequest) (Page[*EvaluationResult], error) {
	for i, doc := range req.PolicyInputList {
		p, err := parseSimulationPolicy(doc, "PolicyInputList", i)
		if err != nil {
			return Page[*EvaluationResult]{}, err
		}
		set.add(fmt.Sprintf("PolicyInputList.%d", i+1), p, sourceInfo{sourceNone, fmt.Sprintf("PolicyInputList.%d", i+1)})
	}
	var boundary *policySet
	if len(req.PermissionsBoundary) > 0 {
		boundary = &policySet{}
		for i, doc := range req.PermissionsBoundary {
			p, err := parseSimulationPolicy(doc, "PermissionsBoundaryPolicyInputList", i)
			if err != nil {
				return Page[*EvaluationResult]{}, err
			}
			id := fmt.Sprintf("PermissionsBoundaryPolicyInputList.%d", i+1)
			boundary.add(id, p, sourceInfo{"permissionsBoundary", id})
		}
	}
	ctx, err := simulationContext(st, c.AccountID, req)
	if err != nil {
		return Page[*EvaluationResult]{}, err
	}
	missing := missingContextKeys(ctx, set, boundary)
	resources := req.ResourceArns
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var results []*EvaluationResult
	for _, action := range req.ActionNames {
		for _, resource := range resources {
			r := evaluateSimulation(set, boundary, policy.Request{Action: action, Resource: resource, Context: ctx})
			r.ActionName, r.ResourceName, r.MissingContextValues = action, resource, missing
			r.ResourceSpecific, r.index = len(req.ResourceArns) > 0, len(results)
			results = append(results, r)
		}
	}
	return paginate(results, func(r *EvaluationResult) string { return fmt.Sprintf("%08d", r.index) }, req.Marker, req.MaxItems)
}

// evaluateSimulation decides one request: the identity set, intersected
// with the permissions boundary when there is one (a Deny in either wins;
// both must allow).
func evaluateSimulation(set, boundary *policySet, req policy.Request) *EvaluationResult {
	res := policy.Evaluate(set.sources, req)
	matched := res.Matched
	decision := res.Decision
	from := set
	if boundary != nil && decision != policy.ExplicitDeny {
		b := policy.Evaluate(boundary.sources, req)
		switch {
		case b.Decision == policy.ExplicitDeny:
			decision, matched, from = policy.ExplicitDeny, b.Matched, boundary
		case b.Decision != policy.Allow:
			decision, matched = policy.ImplicitDeny, nil
		}
	}
	out := &EvaluationResult{Decision: decision.String()}
	for _, m := range matched {
		info := from.infoOf(m.SourceID)
		out.MatchedStatements = append(out.MatchedStatements, SimulatedStatement{
			SourcePolicyID: info.Name, SourcePolicyType: info.Type, Start: m.Start, End: m.End})
	}
	return out
}

func (s *policySet) infoOf(id string) sourceInfo {
	for i := range s.sources {
		if s.sources[i].ID == id {
			return s.info[i]
		}
	}
	return sourceInfo{sourceNone, id}
}

// parseSimulationPolicy validates one input policy; errors are InvalidInput
// naming the list member [U].
func parseSimulationPolicy(doc, list string, i int) (*policy.Policy, error) {
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		return nil, invalidInput("%s.%d: %s", list, i+1, err.Error())
	}
	return p, nil
}

// principalArnEntity splits arn:aws:iam::<acct>:<kind>/<path><name> into
// kind and name; another account's ARN gives kind "".
func principalArnEntity(acct, arn string) (kind, name string) {
	prefix := "arn:aws:iam::" + acct + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return "", ""
	}
	kind, path, ok := strings.Cut(rest, "/")
	if !ok || path == "" {
		return "", ""
	}
	return kind, path[strings.LastIndexByte(path, '/')+1:]
}

// simulationContext is the request context of a simulation: the supplied
// ContextEntries plus, when CallerArn names a user, the keys derived from
// it (spec §7: only those are implicit).
func simulationContext(st *fsm.State, acct string, req SimulateRequest) (map[string][]string, error) {
	ctx := map[string][]string{}
	if req.CallerArn != "" {
		kind, name := principalArnEntity(acct, req.CallerArn)
		u := st.IAMUser(acct, name)
		if kind != "user" || u == nil || UserArn(u) != req.CallerArn {
			return nil, noSuchEntity("The user with ARN %s cannot be found.", req.CallerArn)
		}
		ctx["aws:username"] = []string{u.UserName}
		ctx["aws:userid"] = []string{u.UserID}
		ctx["aws:principalarn"] = []string{req.CallerArn}
		ctx["aws:principalaccount"] = []string{acct}
		ctx["aws:principaltype"] = []string{string(PrincipalUser)}
		for _, t := range u.Tags {
			ctx["aws:principaltag/"+strings.ToLower(t.Key)] = []string{t.Value}
		}
	}
	for _, e := range req.ContextEntries {
		if err := checkContextValues(e); err != nil {
			return nil, err
		}
		ctx[strings.ToLower(e.Key)] = e.Values
	}
	return ctx, nil
}

// checkContextValues refuses values that do not fit the declared type.
func checkContextValues(e ContextEntry) error {
	t := strings.TrimSuffix(e.Type, "List")
	if t != e.Type || len(e.Values) <= 1 {
		for _, v := range e.Values {
			ok := true
			switch t {
			case "numeric":
				_, err := strconv.ParseFloat(v, 64)
				ok = err == nil
			case "boolean":
				_, err := strconv.ParseBool(v)
				ok = err == nil
			}
			if !ok {
				return invalidInput("Context key %s: value %q is not a valid %s.", e.Key, v, t)
			}
		}
		return nil
	}
	return invalidInput("Context key %s of type %s takes one value.", e.Key, e.Type)
}

// missingContextKeys lists the keys the policies refer to that the
// context lacks, as first written, without repeats.
func missingContextKeys(ctx map[string][]string, sets ...*policySet) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sets {
		if s == nil {
			continue
		}
		for _, src := range s.sources {
			for _, k := range src.Policy.ContextKeys() {
				l := strings.ToLower(k)
				if seen[l] || len(ctx[l]) > 0 {
					continue
				}
				seen[l] = true
				out = append(out, k)
			}
		}
	}
	return out
}
