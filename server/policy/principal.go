package policy

import "strings"

// Principal identifies the caller for trust and resource-based policies.
// Identity and session policies ignore it (their statements carry no
// Principal element).
type Principal struct {
	// AWS lists the caller's ARNs: a user's ARN, or for a role session
	// both the assumed-role session ARN and the role's ARN.
	AWS []string
	// Account is the caller's account ID. An account ID or
	// "arn:aws:iam::<acct>:root" in a policy matches every principal of
	// that account. When empty it is taken from the first ARN in AWS.
	Account string
	// Service is the calling service principal ("ec2.amazonaws.com").
	Service string
	// Federated is the identity provider of a federated caller.
	Federated string
}

func (p *Principal) account() string {
	if p.Account != "" {
		return p.Account
	}
	for _, a := range p.AWS {
		if acct := arnAccount(a); acct != "" {
			return acct
		}
	}
	return ""
}

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	present   bool
	not       bool
	any       bool // "*" or {"AWS": "*"}
	arns      []string
	accounts  []string
	services  []string
	federated []string
}

// principalTypes are the keys a Principal object may have. CanonicalUser is
// accepted for compatibility with S3-style documents but never matches:
// iamd has no canonical users.
var principalTypes = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

func compilePrincipal(n *jnode, not bool) principalSet {
	ps := principalSet{present: true, not: not}
	if n.kind == jString { // only "*" passes validation
		ps.any = true
		return ps
	}
	for i, typ := range n.keys {
		for _, v := range n.elems[i].strings() {
			ps.addValue(typ, v)
		}
	}
	return ps
}

func (ps *principalSet) addValue(typ, v string) {
	switch typ {
	case "AWS":
		switch {
		case v == "*":
			ps.any = true
		case isAccountID(v):
			ps.accounts = append(ps.accounts, v)
		case isRootArn(v):
			ps.accounts = append(ps.accounts, arnAccount(v))
		default:
			ps.arns = append(ps.arns, v)
		}
	case "Service":
		ps.services = append(ps.services, v)
	case "Federated":
		ps.federated = append(ps.federated, v)
	}
}

// isRootArn reports whether v is arn:<partition>:iam::<acct>:root, which
// AWS reads as "any principal of the account", not the root user alone.
func isRootArn(v string) bool {
	parts := strings.Split(v, ":")
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" &&
		parts[3] == "" && isAccountID(parts[4]) && parts[5] == "root"
}

// validAWSPrincipal is the shape iamd can check without looking entities
// up: "*", an account ID, or an ARN.
func validAWSPrincipal(v string) bool {
	return v == "*" || isAccountID(v) || strings.HasPrefix(v, "arn:")
}

func (ps *principalSet) match(p *Principal) bool {
	if !ps.present {
		return true
	}
	return ps.matchAny(p) != ps.not
}

func (ps *principalSet) matchAny(p *Principal) bool {
	if ps.any {
		return true
	}
	if p == nil {
		return false
	}
	if len(ps.accounts) > 0 {
		if acct := p.account(); acct != "" && contains(ps.accounts, acct) {
			return true
		}
	}
	for _, a := range p.AWS {
		if contains(ps.arns, a) {
			return true
		}
	}
	if p.Service != "" {
		for _, s := range ps.services {
			if strings.EqualFold(s, p.Service) {
				return true
			}
		}
	}
	return p.Federated != "" && contains(ps.federated, p.Federated)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
