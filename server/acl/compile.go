package acl

import (
	"sort"
	"strings"
)

// ACL is a compiled set of policies. It is immutable and safe for
// concurrent use; build a new one when a policy or token changes.
type ACL struct {
	root       bool
	exact      map[string]*perms
	prefix     map[string]*perms // keyed by the pattern without its "*"
	prefixLens []int             // distinct lengths of prefix keys, longest first
	segments   []*segmentRule
}

// perms is the merged result of every rule with one path pattern.
type perms struct {
	caps        capBits
	constraints *constraints
}

// segmentRule is a pattern with "+" segments, optionally ending in "*".
type segmentRule struct {
	pattern   string   // as written, including a trailing "*"
	trimmed   string   // pattern without the trailing "*"
	parts     []string // trimmed split on "/"
	isPrefix  bool
	firstWild int // byte offset of the first "+"
	wildcards int // number of "+" segments
	perms     *perms
}

type patternKind int

const (
	kindExact patternKind = iota
	kindPrefix
	kindSegment
)

// classify sorts a policy path the way vault/policy.go does: any "+" at a
// segment start makes a segment-wildcard pattern (which keeps its "*"),
// otherwise a trailing "*" makes a prefix glob, otherwise it is exact.
func classify(path string) (patternKind, string) {
	if path == "+" || strings.HasPrefix(path, "+/") || strings.Contains(path, "/+") {
		return kindSegment, path
	}
	if strings.HasSuffix(path, "*") {
		return kindPrefix, strings.TrimSuffix(path, "*")
	}
	return kindExact, path
}

// New compiles policies without identity: templated paths are dropped.
// Nil policies are skipped. The root policy makes the ACL allow everything,
// whatever else is given (Vault refuses root mixed with other policies).
func New(policies ...*Policy) *ACL {
	return Compile(nil, policies...)
}

// Compile compiles policies, filling templated paths through resolve
// (for example (&Entity{...}).Resolve); resolve may be nil.
func Compile(resolve Resolver, policies ...*Policy) *ACL {
	a := &ACL{exact: map[string]*perms{}, prefix: map[string]*perms{}}
	segments := map[string]*perms{}
	for _, p := range policies {
		if p == nil {
			continue
		}
		if p.root {
			a.root = true
		}
		for _, r := range p.rules {
			path := r.path
			if r.templated {
				var ok bool
				if path, ok = expand(path, resolve); !ok {
					continue
				}
			}
			kind, key := classify(path)
			switch kind {
			case kindExact:
				add(a.exact, key, r)
			case kindPrefix:
				add(a.prefix, key, r)
			default:
				add(segments, key, r)
			}
		}
	}
	a.index(segments)
	return a
}

// add merges rule r into m[key] as Vault's NewACL does.
func add(m map[string]*perms, key string, r rule) {
	old, ok := m[key]
	switch {
	case !ok:
		m[key] = &perms{caps: r.caps, constraints: r.constraints}
	case old.caps&capDeny != 0:
	case r.caps&capDeny != 0:
		m[key] = &perms{caps: capDeny}
	default:
		m[key] = &perms{
			caps:        old.caps.merge(r.caps),
			constraints: mergeConstraints(old.constraints, r.constraints),
		}
	}
}

func (a *ACL) index(segments map[string]*perms) {
	seen := map[int]bool{}
	for k := range a.prefix {
		if !seen[len(k)] {
			seen[len(k)] = true
			a.prefixLens = append(a.prefixLens, len(k))
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(a.prefixLens)))

	for pattern, p := range segments {
		s := &segmentRule{pattern: pattern, trimmed: pattern, perms: p,
			firstWild: strings.Index(pattern, "+")}
		if strings.HasSuffix(pattern, "*") {
			s.isPrefix = true
			s.trimmed = strings.TrimSuffix(pattern, "*")
		}
		s.parts = strings.Split(s.trimmed, "/")
		for _, part := range s.parts {
			if part == "+" {
				s.wildcards++
			}
		}
		a.segments = append(a.segments, s)
	}
	// Deterministic order; priority, not order, decides between matches.
	sort.Slice(a.segments, func(i, j int) bool { return a.segments[i].pattern < a.segments[j].pattern })
}

// IsRoot reports whether the ACL was compiled from the root policy.
func (a *ACL) IsRoot() bool { return a.root }

// Rule is one merged path pattern of an ACL, in the shape of Vault's
// sys/internal/ui/resultant-acl: Glob patterns are listed without their "*".
type Rule struct {
	Path         string
	Glob         bool
	Capabilities []string
}

// Rules lists the ACL's merged patterns sorted by path, exact ones first.
func (a *ACL) Rules() []Rule {
	var out []Rule
	for k, p := range a.exact {
		out = append(out, Rule{Path: k, Capabilities: p.caps.names()})
	}
	for k, p := range a.prefix {
		out = append(out, Rule{Path: k, Glob: true, Capabilities: p.caps.names()})
	}
	for _, s := range a.segments {
		out = append(out, Rule{Path: s.trimmed, Glob: s.isPrefix, Capabilities: s.perms.caps.names()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Glob != out[j].Glob {
			return !out[i].Glob
		}
		return out[i].Path < out[j].Path
	})
	return out
}
