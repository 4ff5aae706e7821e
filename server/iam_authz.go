package server

import (
	"strconv"
	"strings"
	"time"

	"iamd/iamerr"
	"iamd/server/policy"
)

// IAM authorization (spec/aws-iam.md §2.4, §6.5): every AWS-dialect action
// asks AuthorizeIAM before it looks at any entity, so that denied callers
// learn nothing about names.

// AuthorizeIAM decides whether caller may perform action ("iam:ListUsers")
// on resource (an ARN or "*"). The account root may do everything in its
// account; any other caller is decided by its identity policies (user
// inline and attached managed policies, and those of its enabled groups):
// an explicit Deny wins, an Allow allows, anything else is AccessDenied.
// SeaweedFS-style self-service lets a user read itself and manage its own
// keys without a policy unless a Deny says otherwise.
func (n *Node) AuthorizeIAM(c *AWSCaller, action, resource string) error {
	return n.authorizeIAM(c, action, resource, nil)
}

// authorizeIAM is AuthorizeIAM with request-specific condition keys
// (lower-cased names, e.g. "iam:policyarn") added to the caller's context.
func (n *Node) authorizeIAM(c *AWSCaller, action, resource string, extra map[string][]string) error {
	if c == nil {
		return iamerr.WithCode(iamerr.Denied, "AccessDenied", "Request is not authenticated.")
	}
	if c.Type != PrincipalAssumedRole && c.MFA != nil && !c.MFA.Present && hasPrefixFold(action, "iam:") {
		// AWS: a GetSessionToken session made without MFA (the root's
		// too) may not call the IAM API at all.
		return accessDenied(c, action, resource, "because IAM actions need a session authenticated with MFA")
	}
	if c.IsRoot() {
		return nil
	}
	req := policy.Request{Action: action, Resource: resource, ContextFunc: n.lazyCallerContext(c, extra)}
	switch n.callerDecision(c, req) {
	case policy.Allow:
		return nil
	case policy.ExplicitDeny:
		return accessDenied(c, action, resource, "with an explicit deny in an identity-based policy")
	}
	if n.selfServiceAllows(c, action, resource) {
		return nil
	}
	return accessDenied(c, action, resource, "because no identity-based policy allows the "+action+" action")
}

// callerDecision evaluates the caller's identity policies. A service
// account is its parent user narrowed by its own policy, when it has one:
// both must allow, and a Deny in either wins.
func (n *Node) callerDecision(c *AWSCaller, req policy.Request) policy.Decision {
	if c.Role != nil {
		return n.roleSessionDecision(c, req) // sts_authz.go
	}
	if c.User == nil {
		return policy.ImplicitDeny
	}
	d := policy.Decide(n.cachedUserSources(c.User).sources, req)
	if sa := c.ServiceAccount; sa != nil && sa.Policy != "" && d != policy.ExplicitDeny {
		own := n.iam.policies.compiled(sa.ID, sa.Revision, sa.Policy, n)
		sd := policy.Decide([]policy.Source{{ID: sa.ID, Policy: own}}, req)
		if sd != policy.Allow {
			d = sd
		}
	}
	if c.S4Role != "" && d == policy.Allow {
		d = narrowToS4Role(c.S4Role, req) // s3_credentials.go
	}
	return d
}

// selfServiceActions are what a user may do on itself without a policy
// (SeaweedFS, spec §2.4). GetAccessKeyLastUsed counts when the wire layer
// passes the caller's own ARN as its resource (the key is the caller's).
var selfServiceActions = map[string]bool{
	"iam:getuser":              true,
	"iam:listaccesskeys":       true,
	"iam:createaccesskey":      true,
	"iam:updateaccesskey":      true,
	"iam:deleteaccesskey":      true,
	"iam:getaccesskeylastused": true,
}

// selfServiceAllows reports whether self-service grants the request: the
// caller is a user (not a service account or session of another kind),
// the resource is its own ARN, and the switch is on.
func (n *Node) selfServiceAllows(c *AWSCaller, action, resource string) bool {
	if n.iam.selfServiceOff.Load() || c.Type != PrincipalUser || c.User == nil || c.S4Role != "" {
		return false
	}
	if resource != c.Arn && resource != UserArn(c.User) {
		return false
	}
	return selfServiceActions[strings.ToLower(action)]
}

// lazyCallerContext returns a policy.Request ContextFunc that builds the
// caller's condition keys, with extra added, once: the decision may take
// several policy sets (a service account's, a session's), and most
// requests need no condition key at all.
func (n *Node) lazyCallerContext(c *AWSCaller, extra map[string][]string) func() map[string][]string {
	var ctx map[string][]string
	return func() map[string][]string {
		if ctx == nil {
			ctx = n.callerContext(c)
			for k, v := range extra {
				ctx[k] = v
			}
		}
		return ctx
	}
}

// callerContext builds the global condition keys of the request (spec
// §6.4), names lower-cased as policy.Request wants them. Absent facts stay
// absent: a long-term key has no aws:MultiFactorAuthPresent.
func (n *Node) callerContext(c *AWSCaller) map[string][]string {
	ctx := make(map[string][]string, 16)
	set := func(k, v string) {
		if v != "" {
			ctx[k] = []string{v}
		}
	}
	t := c.Time
	if t.IsZero() {
		t = n.now()
	}
	t = t.UTC()
	set("aws:currenttime", t.Format(time.RFC3339))
	set("aws:epochtime", strconv.FormatInt(t.Unix(), 10))
	set("aws:sourceip", c.SourceIP)
	set("aws:securetransport", strconv.FormatBool(c.SecureTransport))
	set("aws:requestedregion", c.Region)
	set("aws:principalarn", c.Arn)
	set("aws:principalaccount", c.AccountID)
	set("aws:principaltype", string(c.Type))
	set("aws:userid", c.UserID)
	if c.User != nil && c.Type != PrincipalAssumedRole {
		set("aws:username", c.User.UserName)
		for _, tag := range c.User.Tags {
			ctx["aws:principaltag/"+strings.ToLower(tag.Key)] = []string{tag.Value}
		}
	}
	if c.MFA != nil {
		set("aws:multifactorauthpresent", strconv.FormatBool(c.MFA.Present))
		if c.MFA.Present && !c.MFA.AuthTime.IsZero() {
			set("aws:multifactorauthage", strconv.FormatInt(int64(t.Sub(c.MFA.AuthTime)/time.Second), 10))
		}
	}
	addSessionContext(ctx, c) // sts_authz.go
	return ctx
}

// accessDenied is AWS's AccessDenied text: "User: <arn> is not authorized
// to perform: <action> on resource: <arn> <reason>".
func accessDenied(c *AWSCaller, action, resource, reason string) error {
	return iamerr.WithCode(iamerr.Denied, "AccessDenied",
		"User: %s is not authorized to perform: %s on resource: %s %s", c.Arn, action, resource, reason)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
