package policy

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// condition is one (operator, key) pair of a Condition block with its
// values parsed for the operator's family. A statement's conditions AND.
type condition struct {
	operator
	key  string // lower-cased; request context keys are lower-cased too
	vals []cvalue
}

// cvalue is one policy value, precompiled. Only the fields of the
// condition's family are set; ok is false for a value that cannot be read
// (a non-numeric NumericEquals value, say), which then matches nothing.
type cvalue struct {
	pat  pattern   // String*, Binary, and Arn values shorter than six segments
	segs []pattern // Arn values: the six colon-separated segments
	num  float64
	at   instant
	ip   netip.Prefix
	flag bool // Bool and Null
	raw  string
	ok   bool
}

func compileCondition(op operator, key string, raw []string, seen *keySet) condition {
	c := condition{operator: op, key: strings.ToLower(key), vals: make([]cvalue, len(raw))}
	for i, r := range raw {
		c.vals[i] = compileValue(op.fam, r, seen)
	}
	return c
}

func compileValue(fam family, r string, seen *keySet) cvalue {
	v := cvalue{raw: r, ok: true}
	var err error
	switch fam {
	case famString:
		v.pat = compilePattern(r, patternOpts{vars: true}, seen)
	case famStringFold:
		v.pat = compilePattern(r, patternOpts{vars: true, fold: true}, seen)
	case famStringLike:
		v.pat = compilePattern(r, patternOpts{wild: true, vars: true}, seen)
	case famArn:
		v.pat, v.segs = compileArn(r, seen)
	case famNumeric:
		v.num, err = strconv.ParseFloat(r, 64)
		v.ok = err == nil && !math.IsNaN(v.num)
	case famDate:
		v.at, v.ok = parseDate(r)
	case famBool, famNull:
		v.flag, v.ok = parseBool(r)
	case famIP:
		v.ip, v.ok = parseCIDR(r)
	}
	return v
}

// eval applies AWS's rules for absent keys (spec/aws-iam.md §6.4) and the
// set qualifiers, then the operator.
func (c *condition) eval(ctx map[string][]string) bool {
	req := ctx[c.key]
	if c.fam == famNull {
		return c.evalNull(len(req) > 0)
	}
	if len(req) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.set == setAll:
			return true
		case c.set == setAny:
			return false
		}
		return c.negate
	}
	switch c.set {
	case setAny: // some request value satisfies the operator
		for _, r := range req {
			if c.matchOne(r, ctx) != c.negate {
				return true
			}
		}
		return false
	case setAll: // every request value satisfies the operator
		for _, r := range req {
			if c.matchOne(r, ctx) == c.negate {
				return false
			}
		}
		return true
	}
	for _, r := range req {
		if c.matchOne(r, ctx) {
			return !c.negate
		}
	}
	return c.negate
}

// evalNull: Null "true" asks for the key to be absent, "false" present.
func (c *condition) evalNull(present bool) bool {
	for i := range c.vals {
		if v := &c.vals[i]; v.ok && v.flag != present {
			return true
		}
	}
	return false
}

// matchOne reports whether request value r equals (or is ordered, or
// contained, as the operator asks) any policy value. Request values are
// parsed once, not once per policy value.
func (c *condition) matchOne(r string, ctx map[string][]string) bool {
	switch c.fam {
	case famNumeric:
		return c.matchNumber(r)
	case famDate:
		return c.matchDate(r)
	case famIP:
		return c.matchIP(r)
	case famBool:
		b, ok := parseBool(r)
		return ok && c.anyFlag(b)
	}
	for i := range c.vals {
		v := &c.vals[i]
		switch c.fam {
		case famBinary:
			if v.raw == r {
				return true
			}
		case famArn:
			if matchArn(v, r, ctx) {
				return true
			}
		default:
			if v.pat.match(r, ctx) {
				return true
			}
		}
	}
	return false
}

func (c *condition) matchNumber(r string) bool {
	x, err := strconv.ParseFloat(r, 64)
	if err != nil || math.IsNaN(x) {
		return false
	}
	for i := range c.vals {
		if v := &c.vals[i]; v.ok && c.cmp.holds(compareFloat(x, v.num)) {
			return true
		}
	}
	return false
}

func (c *condition) matchDate(r string) bool {
	t, ok := parseDate(r)
	if !ok {
		return false
	}
	for i := range c.vals {
		if v := &c.vals[i]; v.ok && c.cmp.holds(t.compare(v.at)) {
			return true
		}
	}
	return false
}

func (c *condition) matchIP(r string) bool {
	a, err := netip.ParseAddr(r)
	if err != nil {
		return false
	}
	a = a.WithZone("").Unmap()
	for i := range c.vals {
		if v := &c.vals[i]; v.ok && v.ip.Contains(a) {
			return true
		}
	}
	return false
}

func (c *condition) anyFlag(b bool) bool {
	for i := range c.vals {
		if v := &c.vals[i]; v.ok && v.flag == b {
			return true
		}
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseCIDR reads a CIDR block or a bare address (a /32 or /128).
func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
