package acl

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"iamd/iamerr"
)

// Policy is one parsed, validated ACL policy. It is immutable.
type Policy struct {
	name      string
	text      string
	templated bool
	root      bool
	rules     []rule
}

// rule is one path block as written, after validation.
type rule struct {
	path        string // leading "/" removed; may still hold {{templates}}
	templated   bool
	caps        capBits
	constraints *constraints // nil when the block has none
}

// Name returns the policy's normalised (lower-case) name.
func (p *Policy) Name() string { return p.name }

// Text returns the policy text as it was parsed.
func (p *Policy) Text() string { return p.text }

// Templated reports whether some path uses {{...}} identity templating.
func (p *Policy) Templated() bool { return p.templated }

// Paths returns the path patterns of the policy in the order written.
func (p *Policy) Paths() []string {
	out := make([]string, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.path
	}
	return out
}

// Parse normalises and validates name (see NormalizeName; "root" is refused)
// and parses text, in Vault's HCL syntax or its JSON form, into a Policy.
// Errors are iamerr Invalid with Vault's wording, for example
// `failed to parse policy: path "secret/*": invalid capability "x"`.
func Parse(name, text string) (*Policy, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	if IsImmutable(n) {
		return nil, iamerr.New(iamerr.Invalid, "cannot update %q policy", n)
	}
	return parse(n, text)
}

// DecodeText returns raw base64-decoded when it is valid standard base64 and
// unchanged otherwise: Vault's sys/policies/acl accepts either form.
func DecodeText(raw string) string {
	if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
		return string(b)
	}
	return raw
}

func parse(name, text string) (*Policy, error) {
	// The JSON parser lets invalid UTF-8 through in keys; stored text must
	// survive a JSON round trip unchanged, so refuse it for both syntaxes.
	if !utf8.ValidString(text) {
		return nil, parseErr("policy text is not valid UTF-8")
	}
	body, diags := parseBody(text)
	if diags.HasErrors() {
		return nil, parseErr("%s", diagText(diags))
	}
	blocks, err := topLevel(body)
	if err != nil {
		return nil, err
	}
	p := &Policy{name: name, text: text, rules: make([]rule, 0, len(blocks))}
	for _, b := range blocks {
		r, err := parsePathBlock(b)
		if err != nil {
			return nil, err
		}
		p.templated = p.templated || r.templated
		p.rules = append(p.rules, r)
	}
	return p, nil
}

// parseBody picks the JSON parser when the text starts with "{", as HCL 1
// did for Vault; native HCL never starts with a brace.
func parseBody(text string) (hcl.Body, hcl.Diagnostics) {
	trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
	if strings.HasPrefix(trimmed, "{") {
		f, diags := hcljson.Parse([]byte(text), "policy.json")
		if f == nil {
			return nil, diags
		}
		return f.Body, diags
	}
	f, diags := hclsyntax.ParseConfig([]byte(text), "policy.hcl", hcl.InitialPos)
	if f == nil {
		return nil, diags
	}
	return f.Body, diags
}

var topSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "name"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "path", LabelNames: []string{"path"}}},
}

// topLevel returns the path blocks; Vault allows only "name" and "path" at
// the top level, and ignores "name" (the URL names the policy).
func topLevel(body hcl.Body) ([]*hcl.Block, error) {
	content, rest, diags := body.PartialContent(topSchema)
	if diags.HasErrors() {
		return nil, parseErr("%s", diagText(diags))
	}
	if native, ok := body.(*hclsyntax.Body); ok {
		// The native remainder refuses every block, even consumed ones,
		// in JustAttributes; look at the syntax tree instead.
		for _, b := range native.Blocks {
			if b.Type != "path" {
				return nil, parseErr("invalid key %q on line %d", b.Type, b.TypeRange.Start.Line)
			}
		}
		extra := hcl.Attributes{}
		for n, a := range native.Attributes {
			if n != "name" {
				extra[n] = a.AsHCLAttribute()
			}
		}
		return content.Blocks, invalidKey("", extra)
	}
	extra, diags := rest.JustAttributes()
	if diags.HasErrors() {
		return nil, parseErr("%s", diagText(diags))
	}
	return content.Blocks, invalidKey("", extra)
}

// invalidKey reports the first of attrs, if any, as Vault's hclutil does.
func invalidKey(path string, attrs hcl.Attributes) error {
	if len(attrs) == 0 {
		return nil
	}
	a := firstAttr(attrs)
	if path == "" {
		return parseErr("invalid key %q on line %d", a.Name, a.NameRange.Start.Line)
	}
	return parseErr("path %q: invalid key %q on line %d", path, a.Name, a.NameRange.Start.Line)
}

// pathKeys are the keys Vault accepts in a path block.
var pathKeys = map[string]bool{
	"capabilities": true, "policy": true, "comment": true,
	"allowed_parameters": true, "denied_parameters": true, "required_parameters": true,
	"min_wrapping_ttl": true, "max_wrapping_ttl": true,
	// Accepted and ignored: Enterprise-only (MFA, control groups) or not
	// served by iamd (event subscriptions).
	"mfa_methods": true, "control_group": true, "subscribe_event_types": true,
}

func parsePathBlock(b *hcl.Block) (rule, error) {
	key := b.Labels[0]
	templated, err := checkTemplate(key)
	if err != nil {
		return rule{}, parseErr("failed to validate policy templating: %s", err)
	}
	attrs, diags := b.Body.JustAttributes()
	if diags.HasErrors() {
		return rule{}, parseErr("path %q: %s", key, diagText(diags))
	}
	unknown := hcl.Attributes{}
	for n, a := range attrs {
		if !pathKeys[n] {
			unknown[n] = a
		}
	}
	if err := invalidKey(key, unknown); err != nil {
		return rule{}, err
	}
	vals := make(map[string]cty.Value, len(attrs))
	for _, n := range sortedNames(attrs) {
		v, diags := attrs[n].Expr.Value(nil)
		if diags.HasErrors() {
			return rule{}, parseErr("path %q: %s", key, diagText(diags))
		}
		vals[n] = v
	}

	r := rule{path: strings.TrimPrefix(key, "/"), templated: templated}
	if strings.Contains(r.path, "+*") {
		return rule{}, parseErr("path %q: invalid use of wildcards ('+*' is forbidden)", r.path)
	}
	if r.caps, err = capabilities(vals); err != nil {
		return rule{}, parseErr("path %q: %s", key, err)
	}
	// Like Vault, a deny block keeps nothing else, not even its constraints.
	if r.caps&capDeny != 0 {
		r.caps = capDeny
		return r, nil
	}
	if r.constraints, err = parseConstraints(vals, r.path); err != nil {
		return rule{}, parseErr("%s", err)
	}
	return r, nil
}

// capabilities reads the capabilities list and the pre-0.5 "policy" word.
func capabilities(vals map[string]cty.Value) (capBits, error) {
	names, err := stringList(vals["capabilities"])
	if err != nil {
		return 0, fmt.Errorf("capabilities: %s", err)
	}
	if v, ok := vals["policy"]; ok && !v.IsNull() {
		if !v.Type().Equals(cty.String) {
			return 0, fmt.Errorf("policy must be a string")
		}
		switch old := v.AsString(); old {
		case "deny":
			names = []string{Deny}
		case "read":
			names = append(names, Read, List)
		case "write":
			names = append(names, Create, Read, Update, Delete, List)
		case "sudo":
			names = append(names, Create, Read, Update, Delete, List, Sudo)
		default:
			return 0, fmt.Errorf("invalid policy %q", old)
		}
	}
	var c capBits
	for _, n := range names {
		bit, ok := capByName[n]
		if !ok {
			return 0, fmt.Errorf("invalid capability %q", n)
		}
		if bit == capDeny {
			return capDeny, nil
		}
		c |= bit
	}
	return c, nil
}

// stringList converts a list, tuple or set value into strings; null or
// absent is an empty list. HCL 1 also refused a bare string here.
func stringList(v cty.Value) ([]string, error) {
	if v == cty.NilVal || v.IsNull() {
		return nil, nil
	}
	t := v.Type()
	if !t.IsListType() && !t.IsTupleType() && !t.IsSetType() {
		return nil, fmt.Errorf("must be a list of strings")
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || !lv.IsWhollyKnown() {
		return nil, fmt.Errorf("must be a list of strings")
	}
	out := make([]string, 0, lv.LengthInt())
	for it := lv.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return nil, fmt.Errorf("must be a list of strings")
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

func parseErr(format string, args ...any) error {
	return iamerr.New(iamerr.Invalid, "failed to parse policy: "+format, args...)
}

// diagText joins error diagnostics without the file name, which is ours.
func diagText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		s := d.Summary
		if d.Detail != "" {
			s += "; " + d.Detail
		}
		if d.Subject != nil {
			s = fmt.Sprintf("line %d: %s", d.Subject.Start.Line, s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func sortedNames(attrs hcl.Attributes) []string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func firstAttr(attrs hcl.Attributes) *hcl.Attribute {
	var first *hcl.Attribute
	for _, a := range attrs {
		if first == nil || a.NameRange.Start.Byte < first.NameRange.Start.Byte {
			first = a
		}
	}
	return first
}
