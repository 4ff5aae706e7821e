package server

import (
	"strings"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/policy"
)

// Trust policy principals. AWS stores a user or role named in a trust
// policy as its unique ID: the principal must exist when the policy is
// written, and a user deleted and created again under the same name is
// another principal, whom the policy does not trust. iamd keeps the
// document as written and, beside it, the unique ID each named ARN had
// (fsm.IAMRole.TrustPrincipals).

// trustPrincipalIDs resolves the IAM users and roles p names by ARN to
// their unique IDs; a name that is no such principal is a
// MalformedPolicyDocument, as in AWS.
func trustPrincipalIDs(st *fsm.State, p *policy.Policy) (fsm.StringMap, error) {
	var ids fsm.StringMap
	for _, arn := range p.PrincipalARNs() {
		acct, kind, name, ok := splitPrincipalArn(arn)
		if !ok {
			continue // sessions, services and wildcard patterns are matched as written
		}
		id, current := "", ""
		switch kind {
		case "user":
			if u := st.IAMUser(acct, name); u != nil {
				id, current = u.UserID, UserArn(u)
			}
		case "role":
			if r := st.IAMRole(acct, name); r != nil {
				id, current = r.RoleID, RoleArn(r)
			}
		}
		if current != arn {
			return nil, iamerr.WithCode(iamerr.Invalid, "MalformedPolicyDocument", `Invalid principal in policy: "AWS":"%s"`, arn)
		}
		if ids == nil {
			ids = fsm.StringMap{}
		}
		ids[arn] = id
	}
	return ids, nil
}

// splitPrincipalArn reads arn:<partition>:iam::<acct>:user/<path>/<name>
// (or role/...); ok is false for anything else, and for patterns.
func splitPrincipalArn(arn string) (acct, kind, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || strings.ContainsAny(arn, "*?") {
		return "", "", "", false
	}
	kind, rest, found := strings.Cut(parts[5], "/")
	if !found || (kind != "user" && kind != "role") {
		return "", "", "", false
	}
	return parts[4], kind, rest[strings.LastIndex(rest, "/")+1:], true
}

// trustedARNs drops from arns, the caller's ARNs, any the role's trust
// policy names for a principal with another unique ID than the caller's.
func trustedARNs(role *fsm.IAMRole, c *AWSCaller, arns []string) []string {
	if len(role.TrustPrincipals) == 0 {
		return arns
	}
	out := arns[:0:0]
	for _, arn := range arns {
		if id, named := role.TrustPrincipals[arn]; named && id != callerUniqueID(c, arn) {
			continue
		}
		out = append(out, arn)
	}
	return out
}

// callerUniqueID is the unique ID behind one of the caller's ARNs: its
// user's, or for a role session its role's.
func callerUniqueID(c *AWSCaller, arn string) string {
	switch {
	case c.Role != nil && arn == RoleArn(c.Role):
		return c.Role.RoleID
	case c.User != nil:
		return c.User.UserID
	}
	return ""
}
