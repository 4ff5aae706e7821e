package acl

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	"github.com/zclconf/go-cty/cty"
)

// constraints are the fine-grained controls of a path block beyond its
// capabilities. Parameter names in allowed and denied are lower-cased.
type constraints struct {
	allowed  map[string][]any
	denied   map[string][]any
	required []string
	minWrap  time.Duration
	maxWrap  time.Duration
}

func (c *constraints) empty() bool {
	return len(c.allowed) == 0 && len(c.denied) == 0 && len(c.required) == 0 &&
		c.minWrap == 0 && c.maxWrap == 0
}

func parseConstraints(vals map[string]cty.Value, path string) (*constraints, error) {
	c := &constraints{}
	var err error
	if c.allowed, err = paramMap(vals["allowed_parameters"]); err != nil {
		return nil, fmt.Errorf("path %q: allowed_parameters: %s", path, err)
	}
	if c.denied, err = paramMap(vals["denied_parameters"]); err != nil {
		return nil, fmt.Errorf("path %q: denied_parameters: %s", path, err)
	}
	// Vault does not validate required_parameters beyond their type.
	if c.required, err = stringList(vals["required_parameters"]); err != nil {
		return nil, fmt.Errorf("path %q: required_parameters: %s", path, err)
	}
	if c.minWrap, err = duration(vals["min_wrapping_ttl"]); err != nil {
		return nil, fmt.Errorf("error parsing min_wrapping_ttl: %s", err)
	}
	if c.maxWrap, err = duration(vals["max_wrapping_ttl"]); err != nil {
		return nil, fmt.Errorf("error parsing max_wrapping_ttl: %s", err)
	}
	if c.minWrap != 0 && c.maxWrap != 0 && c.maxWrap < c.minWrap {
		return nil, fmt.Errorf("max_wrapping_ttl cannot be less than min_wrapping_ttl")
	}
	if c.empty() {
		return nil, nil
	}
	return c, nil
}

// paramMap reads {"name" = [values...]}; an empty value list means any value.
func paramMap(v cty.Value) (map[string][]any, error) {
	if v == cty.NilVal || v.IsNull() {
		return nil, nil
	}
	t := v.Type()
	if !t.IsObjectType() && !t.IsMapType() {
		return nil, fmt.Errorf("must be a map of parameter names to lists of values")
	}
	if !v.IsWhollyKnown() {
		return nil, fmt.Errorf("values must be known")
	}
	out := make(map[string][]any, v.LengthInt())
	for key, list := range v.AsValueMap() {
		if err := validateParamKey(key); err != nil {
			return nil, err
		}
		lt := list.Type()
		if list.IsNull() || !(lt.IsListType() || lt.IsTupleType() || lt.IsSetType()) {
			return nil, fmt.Errorf("parameter key %q: value must be a list", key)
		}
		vals := make([]any, 0, list.LengthInt())
		for it := list.ElementIterator(); it.Next(); {
			_, e := it.Element()
			g, err := goValue(e)
			if err != nil {
				return nil, fmt.Errorf("parameter key %q: %s", key, err)
			}
			vals = append(vals, g)
		}
		out[strings.ToLower(key)] = vals
	}
	return out, nil
}

// validateParamKey allows "*" or a trailing "/*" on a JSON-pointer key only.
func validateParamKey(key string) error {
	if !strings.Contains(key, "*") {
		return nil
	}
	if key == "*" || strings.HasPrefix(key, "/") && strings.HasSuffix(key, "/*") &&
		!strings.Contains(key[:len(key)-2], "*") {
		return nil
	}
	return fmt.Errorf("parameter key %q cannot contain non-tail wildcards", key)
}

// goValue turns a policy value into the shape encoding/json gives request
// data: string, float64, bool, []any, map[string]any or nil.
func goValue(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f, nil
	case t == cty.Bool:
		return v.True(), nil
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			g, err := goValue(e)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for k, e := range v.AsValueMap() {
			g, err := goValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = g
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value type %s", t.FriendlyName())
}

func duration(v cty.Value) (time.Duration, error) {
	if v == cty.NilVal || v.IsNull() {
		return 0, nil
	}
	switch v.Type() {
	case cty.String:
		return parseutil.ParseDurationSecond(v.AsString())
	case cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return parseutil.ParseDurationSecond(f)
	}
	return 0, fmt.Errorf("could not parse duration from input")
}

// mergeConstraints folds b into a the way Vault's NewACL does for two rules
// with the same path: the smaller wrapping TTLs win, parameter value lists
// are concatenated (an empty list, meaning any value, absorbs), and required
// parameters are unioned. Neither argument is modified.
func mergeConstraints(a, b *constraints) *constraints {
	if b == nil {
		return a
	}
	if a == nil {
		return b
	}
	out := &constraints{
		minWrap:  smallerTTL(a.minWrap, b.minWrap),
		maxWrap:  smallerTTL(a.maxWrap, b.maxWrap),
		allowed:  mergeParams(a.allowed, b.allowed),
		denied:   mergeParams(a.denied, b.denied),
		required: append([]string(nil), a.required...),
	}
	for _, r := range b.required {
		if !contains(out.required, r) {
			out.required = append(out.required, r)
		}
	}
	return out
}

func smallerTTL(old, add time.Duration) time.Duration {
	if add > 0 && (old == 0 || add < old) {
		return add
	}
	return old
}

func mergeParams(old, add map[string][]any) map[string][]any {
	if len(add) == 0 {
		return old
	}
	out := make(map[string][]any, len(old)+len(add))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range add {
		prev, ok := out[k]
		if len(v) == 0 || ok && len(prev) == 0 {
			out[k] = []any{}
			continue
		}
		out[k] = append(append([]any(nil), v...), prev...)
	}
	return out
}

// permits applies wrapping and parameter constraints to a request whose
// capability check already passed (vault/acl.go AllowOperation).
func (c *constraints) permits(r *Request) bool {
	if c == nil {
		return true
	}
	if c.maxWrap > 0 && (r.WrapTTL == 0 || r.WrapTTL > c.maxWrap) {
		return false
	}
	if c.minWrap > 0 && (r.WrapTTL == 0 || r.WrapTTL < c.minWrap) {
		return false
	}
	if !r.Operation.checksParameters() {
		return true
	}
	for _, p := range c.required {
		if _, ok := r.Data[strings.ToLower(p)]; !ok {
			return false
		}
	}
	if len(r.Data) == 0 {
		return true
	}
	if len(c.denied) > 0 {
		if _, all := c.denied["*"]; all {
			return false
		}
		for name, v := range r.Data {
			if list, ok := c.denied[strings.ToLower(name)]; ok && inDenied(v, list) {
				return false
			}
		}
	}
	if len(c.allowed) == 0 {
		return true
	}
	_, allowAll := c.allowed["*"]
	if allowAll && len(c.allowed) == 1 {
		return true
	}
	for name, v := range r.Data {
		list, ok := c.allowed[strings.ToLower(name)]
		if !ok && !allowAll || ok && !inAllowed(v, list) {
			return false
		}
	}
	return true
}

// inAllowed: every element of a list value, or of a comma-separated string,
// must be allowed.
func inAllowed(v any, list []any) bool {
	if len(list) == 0 || inList(v, list) {
		return true
	}
	es := elements(v)
	if es == nil {
		return false
	}
	for _, e := range es {
		if !inList(e, list) {
			return false
		}
	}
	return true
}

// inDenied: any element of a list value, or of a comma-separated string,
// being denied denies the request.
func inDenied(v any, list []any) bool {
	if len(list) == 0 || inList(v, list) {
		return true
	}
	for _, e := range elements(v) {
		if inList(e, list) {
			return true
		}
	}
	return false
}

// elements splits a list value or a comma-separated string; nil otherwise.
func elements(v any) []any {
	switch t := v.(type) {
	case []any:
		if t == nil {
			return []any{}
		}
		return t
	case string:
		out := []any{}
		if t == "" {
			return out
		}
		for _, s := range strings.Split(t, ",") {
			out = append(out, strings.TrimSpace(s))
		}
		return out
	}
	return nil
}

func inList(v any, list []any) bool {
	for _, el := range list {
		if el == nil || v == nil {
			if el == nil && v == nil {
				return true
			}
			continue
		}
		if es, ok := el.(string); ok {
			if vs, ok := v.(string); ok && globMatch(es, vs) {
				return true
			}
			continue
		}
		if sameValue(el, v) {
			return true
		}
	}
	return false
}

// globMatch is strutil.GlobbedStringsMatch: "*" only at either end.
func globMatch(pattern, v string) bool {
	if len(pattern) < 2 {
		return v == pattern
	}
	pre, suf := strings.HasPrefix(pattern, "*"), strings.HasSuffix(pattern, "*")
	switch {
	case pre && suf:
		return strings.Contains(v, pattern[1:len(pattern)-1])
	case pre:
		return strings.HasSuffix(v, pattern[1:])
	case suf:
		return strings.HasPrefix(v, pattern[:len(pattern)-1])
	}
	return v == pattern
}

// sameValue compares numbers by value whatever their Go type, so request
// data decoded as float64, int or json.Number all match a policy number.
func sameValue(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
