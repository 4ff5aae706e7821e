package policy

import (
	"slices"
	"unicode/utf8"
)

// Kind selects the validation rules for where a policy is attached.
type Kind int

const (
	// Identity policies (user, group, role inline and managed) name
	// actions and resources, never a principal.
	Identity Kind = iota
	// Session policies (AssumeRole Policy, permissions boundaries in a
	// simulation) follow the identity rules.
	Session
	// Trust policies (a role's AssumeRolePolicyDocument) name a principal,
	// only STS assume actions, and no resource.
	Trust
	// ResourceBased policies (bucket policies and the like) name a
	// principal, actions and resources.
	ResourceBased
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity"
	case Session:
		return "session"
	case Trust:
		return "trust"
	case ResourceBased:
		return "resource"
	}
	return "unknown"
}

// Effect is a statement's Effect.
type Effect uint8

const (
	EffectAllow Effect = iota
	EffectDeny
)

func (e Effect) String() string {
	if e == EffectDeny {
		return "Deny"
	}
	return "Allow"
}

// Position is a place in a policy document: 1-based line, and 1-based
// column counted in characters, as SimulatePrincipalPolicy reports them.
type Position struct {
	Line   int
	Column int
}

// Policy is a validated, compiled policy document. It is immutable and safe
// for concurrent use.
type Policy struct {
	Version    string
	ID         string
	Kind       Kind
	Statements []Statement
	keys       []string
}

// Statement is one compiled statement. Start is the position of its '{',
// End the position of its '}'.
type Statement struct {
	Sid        string
	Effect     Effect
	Start, End Position

	actions    nameList
	resources  nameList
	principals principalSet
	conds      []condition
	// needsContext is set when a condition or a policy variable in the
	// resources reads the request's condition keys.
	needsContext bool
}

// nameList is a compiled Action/NotAction or Resource/NotResource element.
type nameList struct {
	present bool
	not     bool
	pats    []pattern
}

func (l *nameList) hasVariables() bool {
	for i := range l.pats {
		if l.pats[i].nvars > 0 {
			return true
		}
	}
	return false
}

func (l *nameList) match(s string, ctx map[string][]string) bool {
	if !l.present {
		return true
	}
	for i := range l.pats {
		if l.pats[i].match(s, ctx) {
			return !l.not
		}
	}
	return l.not
}

// Parse validates doc with AWS's MalformedPolicyDocument rules for kind
// (spec/aws-iam.md §6.2) and compiles it. The error is a *MalformedError.
// Size quotas are separate (CheckSize) because they depend on where the
// policy is stored.
func Parse(doc string, kind Kind) (*Policy, error) {
	root, err := parseJSON(doc)
	if err != nil {
		root = nil
	}
	if merr := validate(root, kind); merr != nil {
		return nil, merr
	}
	return compile(doc, root, kind), nil
}

// ContextKeys lists the condition keys and policy-variable keys the policy
// refers to, as first written, without repeats (case-insensitively). A
// simulation reports those absent from the request as MissingContextValues.
func (p *Policy) ContextKeys() []string { return slices.Clone(p.keys) }

func compile(doc string, root *jnode, kind Kind) *Policy {
	p := &Policy{Kind: kind, Version: root.get("Version").text}
	if id := root.get("Id"); id != nil {
		p.ID = id.text
	}
	lines := newLineIndex(doc)
	var seen keySet
	stmts := statements(root)
	p.Statements = make([]Statement, len(stmts))
	for i, s := range stmts {
		p.Statements[i] = compileStatement(s, &seen)
		p.Statements[i].Start = lines.position(s.start)
		p.Statements[i].End = lines.position(s.end - 1)
	}
	p.keys = seen.names
	return p
}

func compileStatement(s *jnode, seen *keySet) Statement {
	st := Statement{Effect: EffectAllow}
	if s.get("Effect").text == "Deny" {
		st.Effect = EffectDeny
	}
	if sid := s.get("Sid"); sid != nil {
		st.Sid = sid.text
	}
	st.actions = compileNames(s, "Action", "NotAction", patternOpts{wild: true, fold: true}, seen)
	st.resources = compileNames(s, "Resource", "NotResource", patternOpts{wild: true, vars: true}, seen)
	if p := s.get("Principal"); p != nil {
		st.principals = compilePrincipal(p, false)
	} else if p := s.get("NotPrincipal"); p != nil {
		st.principals = compilePrincipal(p, true)
	}
	st.conds = compileConditions(s.get("Condition"), seen)
	st.needsContext = len(st.conds) > 0 || st.resources.hasVariables()
	return st
}

func compileNames(s *jnode, key, notKey string, o patternOpts, seen *keySet) nameList {
	l := nameList{present: true}
	n := s.get(key)
	if n == nil {
		n, l.not = s.get(notKey), true
	}
	if n == nil {
		return nameList{}
	}
	for _, v := range n.strings() {
		l.pats = append(l.pats, compilePattern(v, o, seen))
	}
	return l
}

func compileConditions(c *jnode, seen *keySet) []condition {
	if c == nil {
		return nil
	}
	var out []condition
	for i, name := range c.keys {
		op, _ := parseOperator(name)
		body := c.elems[i]
		for j, key := range body.keys {
			seen.add(key)
			out = append(out, compileCondition(op, key, body.elems[j].strings(), seen))
		}
	}
	return out
}

// lineIndex turns byte offsets into line/column positions.
type lineIndex struct {
	doc    string
	starts []int
}

func newLineIndex(doc string) lineIndex {
	li := lineIndex{doc: doc, starts: []int{0}}
	for i := 0; i < len(doc); i++ {
		if doc[i] == '\n' {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

func (li lineIndex) position(off int) Position {
	line, _ := slices.BinarySearch(li.starts, off+1)
	start := li.starts[line-1]
	return Position{Line: line, Column: utf8.RuneCountInString(li.doc[start:off]) + 1}
}
