package policy

import (
	"strings"
	"unicode/utf8"
)

// pattern is a compiled Action, Resource or condition value: literal text,
// `*` and `?` wildcards (when enabled) and policy variables (when enabled).
// Patterns without variables are classified at compile time so the common
// shapes ("*", "iam:GetUser", "arn:aws:s3:::bucket/*") match with a single
// comparison.
type pattern struct {
	kind patKind
	fold bool // ASCII case-insensitive (actions, IgnoreCase with variables)
	// unicodeFold makes a variable-free StringEqualsIgnoreCase value
	// compare with full Unicode case folding.
	unicodeFold bool
	lit         string // patExact, patPrefix: the literal part
	toks        []tok  // patGeneral
	nvars       int
}

type patKind uint8

const (
	patExact   patKind = iota // lit, no wildcard, no variable
	patAny                    // "*"
	patPrefix                 // lit followed by one trailing "*"
	patGeneral                // anything else: token walk
)

type tok struct {
	op     tokOp
	text   string // literal text, or the variable's lower-cased key
	def    string // variable default (${key, 'def'})
	hasDef bool
	idx    int // variable: index into the resolved values
}

type tokOp uint8

const (
	tLit tokOp = iota
	tVar
	tStar
	tOne
)

// patternOpts say which syntax a policy element supports: actions have
// wildcards and fold case; resources and StringLike values have wildcards
// and variables; StringEquals values have variables only.
type patternOpts struct {
	wild, vars, fold bool
}

// compilePattern compiles s. Variable names it references are reported to
// seen (may be nil) so Policy.ContextKeys can list them.
func compilePattern(s string, o patternOpts, seen *keySet) pattern {
	p := pattern{fold: o.fold, unicodeFold: o.fold && !o.wild}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, tok{op: tLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case o.vars && strings.HasPrefix(s[i:], "${"):
			t, name, n := parseVariable(s[i:])
			if t.op == tLit {
				lit.WriteString(t.text)
			} else {
				flush()
				t.idx = p.nvars
				p.nvars++
				p.toks = append(p.toks, t)
				seen.add(name)
			}
			i += n
			continue
		case o.wild && c == '*':
			flush()
			if len(p.toks) == 0 || p.toks[len(p.toks)-1].op != tStar {
				p.toks = append(p.toks, tok{op: tStar})
			}
		case o.wild && c == '?':
			flush()
			p.toks = append(p.toks, tok{op: tOne})
		default:
			lit.WriteByte(c)
		}
		i++
	}
	flush()
	p.classify()
	return p
}

func (p *pattern) classify() {
	t := p.toks
	switch {
	case p.nvars > 0:
		p.kind = patGeneral
		return
	case len(t) == 0:
		p.kind = patExact
	case len(t) == 1 && t[0].op == tLit:
		p.kind, p.lit = patExact, t[0].text
	case len(t) == 1 && t[0].op == tStar:
		p.kind = patAny
	case len(t) == 2 && t[0].op == tLit && t[1].op == tStar:
		p.kind, p.lit = patPrefix, t[0].text
	default:
		p.kind = patGeneral
		return
	}
	p.toks = nil
}

// match reports whether s matches the pattern. Variables are looked up in
// ctx; an unresolvable variable makes the pattern match nothing
// (spec/aws-iam.md §6.3).
func (p *pattern) match(s string, ctx map[string][]string) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		if p.unicodeFold {
			return strings.EqualFold(s, p.lit)
		}
		return equalASCII(s, p.lit, p.fold)
	case patPrefix:
		return len(s) >= len(p.lit) && equalASCII(s[:len(p.lit)], p.lit, p.fold)
	}
	if p.nvars == 0 {
		return globTokens(p.toks, nil, s, p.fold)
	}
	return p.matchVars(s, ctx)
}

func (p *pattern) matchVars(s string, ctx map[string][]string) bool {
	// Resolved values live on the stack for the usual handful of variables,
	// keeping evaluation allocation-free.
	var buf [8]string
	vals := buf[:0]
	if p.nvars > len(buf) {
		vals = make([]string, 0, p.nvars)
	}
	for i := range p.toks {
		if t := &p.toks[i]; t.op == tVar {
			v, ok := resolve(t, ctx)
			if !ok {
				return false
			}
			vals = append(vals, v)
		}
	}
	return globTokens(p.toks, vals, s, p.fold)
}

// globTokens is the classic single-backtrack wildcard match: on a mismatch
// it retries from the last `*`, one character further. That is complete for
// globs (a later star subsumes earlier ones) and O(len(s)·len(pattern)).
// Substituted variable values are always literal, so a user named "*" does
// not become a wildcard.
func globTokens(toks []tok, vals []string, s string, fold bool) bool {
	ti, ci, si := 0, 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.op {
			case tStar:
				ti, ci = ti+1, 0
				starTi, starSi = ti, si
				continue
			case tOne:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si, ti = si+w, ti+1
					continue
				}
			default:
				text := t.text
				if t.op == tVar {
					text = vals[t.idx]
				}
				if ci == len(text) {
					ti, ci = ti+1, 0
					continue
				}
				if si < len(s) && byteEqual(text[ci], s[si], fold) {
					ci, si = ci+1, si+1
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		ti, ci, si = starTi, 0, starSi
	}
}

func byteEqual(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	return fold && lowerASCII(a) == lowerASCII(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalASCII(a, b string, fold bool) bool {
	if !fold {
		return a == b
	}
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}
