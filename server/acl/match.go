package acl

import (
	"strings"
	"time"
)

// Request is what Authorize decides on.
type Request struct {
	Path      string // request path below /v1/, leading slashes ignored
	Operation Operation
	// Data is the request's parameters, for allowed_parameters,
	// denied_parameters and required_parameters. Keys as sent.
	Data map[string]any
	// WrapTTL is the requested response-wrapping TTL, 0 when not wrapped,
	// for min_wrapping_ttl and max_wrapping_ttl.
	WrapTTL time.Duration
}

// Decision is the answer to a Request.
type Decision struct {
	Allowed bool
	// Sudo reports whether the rule that matched grants sudo, which Vault
	// calls root privileges: root-protected paths need Allowed && Sudo.
	Sudo bool
	// Root reports that the root policy decided.
	Root bool
}

// Authorize decides a request like vault/acl.go AllowOperation: find the
// one rule for the path, check the operation's capability, then wrapping
// TTLs and parameter constraints.
func (a *ACL) Authorize(r Request) Decision {
	if a.root {
		return Decision{Allowed: true, Sudo: true, Root: true}
	}
	path := trimSlashes(r.Path)
	if r.Operation == OpList && !strings.HasSuffix(path, "/") {
		path += "/" // Vault's HTTP layer ends every LIST path in "/"
	}
	p := a.lookup(path, r.Operation == OpList)
	if p == nil {
		return Decision{}
	}
	d := Decision{Sudo: p.caps&capSudo != 0}
	need := r.Operation.needs()
	d.Allowed = need != 0 && p.caps&need != 0 && p.constraints.permits(&r)
	return d
}

// Allowed reports whether op on path is allowed, for a request without
// parameters and without response wrapping.
func (a *ACL) Allowed(path string, op Operation) bool {
	return a.Authorize(Request{Path: path, Operation: op}).Allowed
}

// AllowedSudo reports whether op on a root-protected path is allowed: the
// operation's capability and sudo must both be granted.
func (a *ACL) AllowedSudo(path string, op Operation) bool {
	d := a.Authorize(Request{Path: path, Operation: op})
	return d.Allowed && d.Sudo
}

// Capabilities returns the capabilities on path sorted by name, as
// sys/capabilities-self reports them: ["root"] for the root policy, ["deny"]
// when a deny rule or no rule matches. Like Vault it looks the path up as a
// LIST would, so "secret/dir/" also finds a rule for "secret/dir".
func (a *ACL) Capabilities(path string) []string {
	if a.root {
		return []string{Root}
	}
	p := a.lookup(trimSlashes(path), true)
	if p == nil {
		return []string{Deny}
	}
	return p.caps.names()
}

func trimSlashes(path string) string {
	return strings.TrimLeft(path, "/")
}

// lookup returns the merged rule deciding path, or nil. An exact pattern
// wins outright; otherwise the highest-priority glob or segment pattern.
// Like Vault's AllowOperation, a LIST (whose path ends in "/") also tries
// the path without it, first as an exact rule and then against globs and
// segment wildcards.
func (a *ACL) lookup(path string, list bool) *perms {
	if p, ok := a.exact[path]; ok {
		return p
	}
	if !list {
		return a.nonExact(path)
	}
	trimmed := strings.TrimSuffix(path, "/")
	if p, ok := a.exact[trimmed]; ok {
		return p
	}
	if trimmed != path {
		if p := a.nonExact(trimmed); p != nil {
			return p
		}
	}
	return a.nonExact(path)
}

// candidate is a matching non-exact pattern, described for priority.
type candidate struct {
	firstWild int  // offset of the first "+" or of the "*"
	isPrefix  bool // ends in "*"
	wildcards int  // number of "+" segments
	text      string
	perms     *perms
}

// outranks implements the priority list of Vault's policy documentation:
// a later first wildcard or glob wins; then a pattern without a trailing
// "*"; then fewer "+" segments; then the longer pattern; then, arbitrarily,
// the lexicographically greater one.
func (c candidate) outranks(o candidate) bool {
	if c.firstWild != o.firstWild {
		return c.firstWild > o.firstWild
	}
	if c.isPrefix != o.isPrefix {
		return !c.isPrefix
	}
	if c.wildcards != o.wildcards {
		return c.wildcards < o.wildcards
	}
	if len(c.text) != len(o.text) {
		return len(c.text) > len(o.text)
	}
	return c.text > o.text
}

func (a *ACL) nonExact(path string) *perms {
	var best candidate
	for _, n := range a.prefixLens {
		if n > len(path) {
			continue
		}
		if p, ok := a.prefix[path[:n]]; ok {
			best = candidate{firstWild: n, isPrefix: true, text: path[:n], perms: p}
			break
		}
	}
	if len(a.segments) == 0 {
		return best.perms
	}
	parts := strings.Split(path, "/")
	for _, s := range a.segments {
		if !s.matches(parts) {
			continue
		}
		c := candidate{firstWild: s.firstWild, isPrefix: s.isPrefix,
			wildcards: s.wildcards, text: s.trimmed, perms: s.perms}
		if best.perms == nil || c.outranks(best) {
			best = c
		}
	}
	return best.perms
}

// matches reports whether the request path's segments match: "+" takes any
// one segment, other segments must be equal, and with a trailing "*" the
// last pattern segment need only be a prefix and more segments may follow.
func (s *segmentRule) matches(parts []string) bool {
	if len(parts) < len(s.parts) || !s.isPrefix && len(parts) != len(s.parts) {
		return false
	}
	last := len(s.parts) - 1
	for i, want := range s.parts {
		switch {
		case want == "+", want == parts[i]:
		case s.isPrefix && i == last && strings.HasPrefix(parts[i], want):
		default:
			return false
		}
	}
	return true
}
