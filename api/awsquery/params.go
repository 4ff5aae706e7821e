package awsquery

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"iamd/iamerr"
)

// Params is the merged form of one request (body and query), read through
// typed getters that check the AWS model and collect every violation. A
// member of a structure list is a nested Params sharing the error list.
type Params struct {
	values map[string]string
	prefix string // key prefix of a nested member, "" at the top
	field  string // lowerCamel path of a nested member, for messages
	errs   *[]string
}

// NewParams wraps decoded values (each key once).
func NewParams(values map[string]string) *Params {
	return &Params{values: values, errs: new([]string)}
}

// parseForm decodes the query string and, for a form body, the body, into
// one map. A key sent twice is refused: which value the signature covered
// and which one a handler would read must not differ.
func parseForm(rawQuery string, body []byte, form bool) (map[string]string, error) {
	raw := ""
	if form {
		raw = string(body)
	}
	values := make(map[string]string, strings.Count(rawQuery, "&")+strings.Count(raw, "&")+2)
	if err := addPairs(values, rawQuery); err != nil {
		return nil, err
	}
	if form {
		if err := addPairs(values, raw); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// maxDirectPairs is where addPairs hands a string to url.ParseQuery, which
// enforces Go's own limit on the number of parameters.
const maxDirectPairs = 1000

// addPairs adds the pairs of raw to values, reading them as url.ParseQuery
// does ('&' separates, '+' is a space, a pair without '=' has an empty
// value) and failing where it fails, but straight into the map handlers
// read: no url.Values with a slice per value, on every request. A string
// with ';' (which url.ParseQuery refuses) or very many pairs goes through
// url.ParseQuery itself, for its exact error.
func addPairs(values map[string]string, raw string) error {
	if strings.IndexByte(raw, ';') >= 0 || strings.Count(raw, "&") >= maxDirectPairs {
		return addParsed(values, raw)
	}
	var malformed error
	dup, repeated := "", false
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k, err := url.QueryUnescape(k)
		if err == nil {
			v, err = url.QueryUnescape(v)
		}
		if err != nil {
			if malformed == nil {
				malformed = err
			}
			continue
		}
		if _, seen := values[k]; seen {
			if !repeated {
				dup, repeated = k, true
			}
			continue
		}
		values[k] = v
	}
	if malformed != nil {
		return queryError("The request's parameters are malformed: %v.", malformed)
	}
	if repeated {
		return queryError("The parameter %s appears more than once.", clip(dup))
	}
	return nil
}

// addParsed is addPairs through url.ParseQuery.
func addParsed(values map[string]string, raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return queryError("The request's parameters are malformed: %v.", err)
	}
	for k, vs := range q {
		if _, dup := values[k]; dup || len(vs) > 1 {
			return queryError("The parameter %s appears more than once.", clip(k))
		}
		values[k] = vs[0]
	}
	return nil
}

func queryError(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Invalid, "InvalidQueryParameter", format, args...)
}

// Pattern is a whole-string regular expression of the AWS model, kept with
// its text for messages.
type Pattern struct {
	re   *regexp.Regexp
	text string
}

// NewPattern compiles an AWS model pattern (Go syntax; `\w` is ASCII).
func NewPattern(text string) *Pattern { return NewPatternAs(text, text) }

// NewPatternAs compiles re and shows text (the model's spelling, e.g. with
// \u escapes) in messages.
func NewPatternAs(re, text string) *Pattern {
	return &Pattern{re: regexp.MustCompile(`^(?:` + re + `)$`), text: text}
}

// Rule is the model constraint of one scalar parameter. Lengths count
// characters; Max 0 means unbounded.
type Rule struct {
	Required bool
	Min, Max int
	Pattern  *Pattern
	Enum     []string
}

// Req returns a copy of the rule with Required set.
func (r Rule) Req() Rule { r.Required = true; return r }

// Has reports whether the parameter was sent (possibly empty).
func (p *Params) Has(name string) bool {
	_, ok := p.values[p.prefix+name]
	return ok
}

// Raw returns the parameter unchecked.
func (p *Params) Raw(name string) (string, bool) {
	v, ok := p.values[p.prefix+name]
	return v, ok
}

// fieldName is the lowerCamel name AWS uses in ValidationError messages.
func (p *Params) fieldName(name string) string {
	f := lowerFirst(name)
	if p.field != "" {
		return p.field + "." + f
	}
	return f
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// fail records a violation in AWS's wording.
func (p *Params) fail(name, value string, null bool, constraint string) {
	v := "null"
	if !null {
		v = "'" + clip(value) + "'"
	}
	*p.errs = append(*p.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", v, p.fieldName(name), constraint))
}

// Failf records a violation of a constraint the getters do not know.
func (p *Params) Failf(name, value, format string, args ...any) {
	p.fail(name, value, false, fmt.Sprintf(format, args...))
}

// String returns the parameter after checking rule; "" when absent (an
// absent required parameter is a violation: "Member must not be null").
// A parameter sent empty is present and must meet the rule's Min.
func (p *Params) String(name string, rule Rule) string {
	v, ok := p.Raw(name)
	if !ok {
		if rule.Required {
			p.fail(name, "", true, "Member must not be null")
		}
		return ""
	}
	p.check(name, v, rule)
	return v
}

// OptString is String for an optional parameter whose absence must be told
// apart from an empty value: nil when absent.
func (p *Params) OptString(name string, rule Rule) *string {
	if !p.Has(name) {
		return nil
	}
	v := p.String(name, rule)
	return &v
}

func (p *Params) check(name, v string, rule Rule) {
	if !utf8.ValidString(v) {
		p.fail(name, strings.ToValidUTF8(v, "\uFFFD"), false, "Member must be valid UTF-8")
		return
	}
	n := utf8.RuneCountInString(v)
	switch {
	case rule.Enum != nil:
		for _, e := range rule.Enum {
			if v == e {
				return
			}
		}
		p.fail(name, v, false, "Member must satisfy enum value set: ["+strings.Join(rule.Enum, ", ")+"]")
	case n < rule.Min:
		p.fail(name, v, false, fmt.Sprintf("Member must have length greater than or equal to %d", rule.Min))
	case rule.Max > 0 && n > rule.Max:
		p.fail(name, v, false, fmt.Sprintf("Member must have length less than or equal to %d", rule.Max))
	case rule.Pattern != nil && !rule.Pattern.re.MatchString(v):
		p.fail(name, v, false, "Member must satisfy regular expression pattern: "+rule.Pattern.text)
	}
}

// Int returns an integer parameter within [lo, hi], def when absent.
func (p *Params) Int(name string, lo, hi, def int) int {
	v, ok := p.Raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		p.fail(name, v, false, "Member must be a number")
		return def
	case n < lo:
		p.fail(name, v, false, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
		return def
	case n > hi:
		p.fail(name, v, false, fmt.Sprintf("Member must have value less than or equal to %d", hi))
		return def
	}
	return n
}

// Bool returns a boolean parameter ("true"/"false"), def when absent.
func (p *Params) Bool(name string, def bool) bool {
	v, ok := p.Raw(name)
	if !ok {
		return def
	}
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(name, v, false, "Member must be one of: true, false")
	return def
}

// memberIndexes returns the N of every `name.member.N` key (optionally
// followed by `.rest`), sorted. Gaps are allowed; N must be a positive
// decimal without leading zeros.
func (p *Params) memberIndexes(name string) []int {
	pre := p.prefix + name + ".member."
	seen := map[int]bool{}
	for k := range p.values {
		rest, ok := strings.CutPrefix(k, pre)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || strconv.Itoa(n) != num {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// List returns `name.member.N` values in N order, each checked against
// rule, and whether the list was sent at all (`name=` is an empty list).
// maxLen bounds the number of members (0: unbounded); required lists must
// be present.
func (p *Params) List(name string, rule Rule, maxLen int, required bool) ([]string, bool) {
	idx, present := p.checkedMembers(name, maxLen, required)
	if idx == nil {
		return nil, present
	}
	out := make([]string, 0, len(idx))
	for _, n := range idx {
		key := name + ".member." + strconv.Itoa(n)
		v, _ := p.Raw(key)
		p.check(key, v, rule)
		out = append(out, v)
	}
	return out, true
}

// checkedMembers returns the N of the `name.member.N` keys in order and
// whether the list was sent, after the checks List and Members share: a
// required list must be present, maxLen (0: unbounded) bounds its length.
// idx is nil when the list is absent or refused (empty, not nil, for `name=`).
func (p *Params) checkedMembers(name string, maxLen int, required bool) (idx []int, present bool) {
	idx = p.memberIndexes(name)
	present = len(idx) > 0 || p.Has(name)
	if !present {
		if required {
			p.fail(name, "", true, "Member must not be null")
		}
		return nil, false
	}
	if maxLen > 0 && len(idx) > maxLen {
		p.fail(name, fmt.Sprintf("%d members", len(idx)), false, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
		return nil, true
	}
	return idx, true
}

// Members returns one nested Params per `name.member.N.*` structure, in N
// order, and whether the list was sent. Read each member's fields with the
// same getters; violations are reported as `name.N.member.field`.
func (p *Params) Members(name string, maxLen int, required bool) ([]*Params, bool) {
	idx, present := p.checkedMembers(name, maxLen, required)
	if idx == nil {
		return nil, present
	}
	out := make([]*Params, 0, len(idx))
	for _, n := range idx {
		out = append(out, &Params{
			values: p.values,
			prefix: p.prefix + name + ".member." + strconv.Itoa(n) + ".",
			field:  p.fieldName(name) + "." + strconv.Itoa(n) + ".member",
			errs:   p.errs,
		})
	}
	return out, true
}

// Err returns the collected violations as one ValidationError, nil if none.
func (p *Params) Err() error {
	errs := *p.errs
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return iamerr.WithCode(iamerr.Invalid, "ValidationError", "1 validation error detected: %s", errs[0])
	}
	return iamerr.WithCode(iamerr.Invalid, "ValidationError", "%d validation errors detected: %s", len(errs), strings.Join(errs, "; "))
}

// Page returns the Marker and MaxItems pagination parameters (spec §4).
func (p *Params) Page() (marker string, maxItems int) {
	return p.String("Marker", MarkerRule), p.Int("MaxItems", 1, 1000, 100)
}

// clip bounds client text echoed into messages.
func clip(v string) string {
	const max = 256
	if len(v) > max {
		return strings.ToValidUTF8(v[:max], "") + "..."
	}
	return v
}
