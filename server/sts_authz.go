package server

import (
	"strings"
	"time"

	"iamd/server/policy"
)

// Authorization of STS session callers (spec §6.5): a role session's
// permissions are the role's policies intersected with its session policy
// and session managed policies, when it has any.

// roleSessionDecision decides a request of an assumed-role caller: a Deny
// in any set wins; otherwise every set must allow.
func (n *Node) roleSessionDecision(c *AWSCaller, req policy.Request) policy.Decision {
	st := n.State()
	d := policy.Decide(n.rolePolicySources(st, c.Role).sources, req)
	s := c.Session
	if d == policy.ExplicitDeny || s == nil || (s.Policy == "" && len(s.PolicyArns) == 0) {
		return d
	}
	session := &policySet{}
	if s.Policy != "" {
		session.add("session/"+s.AccessKey, n.iam.policies.compiled("session/"+s.AccessKey, 0, s.Policy, n), sourceInfo{sourceNone, "session"})
	}
	for _, arn := range s.PolicyArns {
		p, info := n.managedPolicy(st, c.AccountID, arn)
		session.add(arn, p, info)
	}
	sd := policy.Decide(session.sources, req)
	if sd == policy.ExplicitDeny || d != policy.Allow {
		if sd == policy.ExplicitDeny {
			return sd
		}
		return d
	}
	return sd
}

// sourceRole is SimulatePrincipalPolicy's SourcePolicyType of role inline
// policies.
const sourceRole = "role"

// addSessionContext sets the condition keys of session callers: a role
// session's aws:PrincipalArn is the role's ARN and its principal tags are
// the role's, overridden by the session's tags; every session has
// aws:TokenIssueTime.
func addSessionContext(ctx map[string][]string, c *AWSCaller) {
	if c.Session == nil {
		return
	}
	ctx["aws:tokenissuetime"] = []string{c.Session.IssuedAt.UTC().Format(time.RFC3339)}
	if r := c.Role; r != nil {
		ctx["aws:principalarn"] = []string{RoleArn(r)}
		for _, tag := range r.Tags {
			ctx["aws:principaltag/"+strings.ToLower(tag.Key)] = []string{tag.Value}
		}
		for _, tag := range c.Session.Tags {
			ctx["aws:principaltag/"+strings.ToLower(tag.Key)] = []string{tag.Value}
		}
	}
}
