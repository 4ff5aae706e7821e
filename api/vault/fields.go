package vault

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"

	"iamd/iamerr"
)

// Typed access to request data with Vault's framework conversions: numbers
// as JSON numbers or strings, durations as seconds or "30s", string lists
// as arrays or comma-separated strings. A value of the wrong type is a 400
// naming the field, like Vault's "error converting input".

func convErr(field string, v any, err error) error {
	return iamerr.New(iamerr.Invalid, "error converting input %v for field %q: %v", v, field, err)
}

// Has reports whether the field was supplied.
func (r *Request) Has(field string) bool {
	_, ok := r.Data[field]
	return ok
}

// String returns a string field, or def when absent.
func (r *Request) String(field, def string) (string, error) {
	v, ok := r.Data[field]
	if !ok || v == nil {
		return def, nil
	}
	switch t := v.(type) {
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case bool:
		return fmt.Sprint(t), nil
	}
	return "", convErr(field, v, fmt.Errorf("expected a string"))
}

// Int returns an integer field, or def when absent.
func (r *Request) Int(field string, def int) (int, error) {
	v, ok := r.Data[field]
	if !ok || v == nil {
		return def, nil
	}
	if n, isNum := v.(json.Number); isNum {
		v = n.String()
	}
	i, err := parseutil.SafeParseInt(v)
	if err != nil {
		return 0, convErr(field, v, err)
	}
	return i, nil
}

// Bool returns a boolean field, or def when absent.
func (r *Request) Bool(field string, def bool) (bool, error) {
	v, ok := r.Data[field]
	if !ok || v == nil {
		return def, nil
	}
	b, err := parseutil.ParseBool(v)
	if err != nil {
		return false, convErr(field, v, err)
	}
	return b, nil
}

// Duration returns a duration field given in seconds or as a Go duration.
func (r *Request) Duration(field string, def time.Duration) (time.Duration, error) {
	v, ok := r.Data[field]
	if !ok || v == nil {
		return def, nil
	}
	if n, isNum := v.(json.Number); isNum {
		v = n.String()
	}
	d, err := parseutil.ParseDurationSecond(v)
	if err != nil {
		return 0, convErr(field, v, err)
	}
	return d, nil
}

// StringSlice returns a list field; absent gives nil.
func (r *Request) StringSlice(field string) ([]string, error) {
	v, ok := r.Data[field]
	if !ok || v == nil {
		return nil, nil
	}
	out, err := parseutil.ParseCommaStringSlice(v)
	if err != nil {
		return nil, convErr(field, v, err)
	}
	cleaned := out[:0]
	for _, s := range out {
		if s = strings.TrimSpace(s); s != "" {
			cleaned = append(cleaned, s)
		}
	}
	return cleaned, nil
}

// StringMap returns a map[string]string field (metadata).
func (r *Request) StringMap(field string) (map[string]string, error) {
	v, ok := r.Data[field]
	if !ok || v == nil {
		return nil, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		if s, isStr := v.(string); isStr {
			return parseKVString(field, s)
		}
		return nil, convErr(field, v, fmt.Errorf("expected a map"))
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		s, isStr := val.(string)
		if !isStr {
			return nil, convErr(field, v, fmt.Errorf("value of %q is not a string", k))
		}
		out[k] = s
	}
	return out, nil
}

// parseKVString accepts "k1=v1,k2=v2" as Vault's TypeKVPairs does.
func parseKVString(field, s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, convErr(field, s, fmt.Errorf("invalid key value pair %q", part))
		}
		out[k] = v
	}
	return out, nil
}

// listResponse builds {"keys": [...], "key_info": {...}} with sorted keys.
func listResponse(keys []string, info map[string]any) *Response {
	sort.Strings(keys)
	if len(keys) == 0 {
		return nil
	}
	data := map[string]any{"keys": keys}
	if info != nil {
		data["key_info"] = info
	}
	return &Response{Data: data}
}

// emptyIfNil renders a nil list as [] (Vault's reads never show null lists).
func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
