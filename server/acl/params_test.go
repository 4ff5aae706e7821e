package acl

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

const paramPolicy = `
path "dev/ops" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "allow" = ["good"]
  }
}
path "foo/bar" {
  capabilities = ["create", "update"]
  denied_parameters = {
    "deny" = ["bad*"]
  }
}
path "foo/baz" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "ALLOW" = ["good"]
  }
  denied_parameters = {
    "deny" = []
  }
}
path "fizz/buzz" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "allow_multi" = ["good", "good1", "good2", "*good3"]
    "allow" = ["good"]
  }
  denied_parameters = {
    "deny_multi" = ["bad", "bad1", "bad2"]
  }
}
path "test/types" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "map" = [{"good" = "one"}]
    "int" = [1, 2]
    "bool" = [false]
  }
}
path "test/star" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "*" = []
    "foo" = []
    "bar" = [false]
  }
}
path "deny/all" {
  capabilities = ["create", "update"]
  denied_parameters = {
    "*" = []
  }
}
path "req/params" {
  capabilities = ["read", "create", "update", "delete"]
  required_parameters = ["must", "also"]
}
path "wrap/ttl" {
  capabilities = ["update"]
  min_wrapping_ttl = 300
  max_wrapping_ttl = "400s"
}
`

func TestParameterConstraints(t *testing.T) {
	a := compileText(t, paramPolicy)
	tests := []struct {
		path string
		data map[string]any
		want bool
	}{
		{"dev/ops", map[string]any{"allow": "good"}, true},
		{"dev/ops", map[string]any{"allow": "bad"}, false},
		{"dev/ops", map[string]any{"other": "good"}, false},
		{"dev/ops", nil, true},
		{"foo/bar", map[string]any{"deny": "bad"}, false},
		{"foo/bar", map[string]any{"deny": "bad glob"}, false},
		{"foo/bar", map[string]any{"deny": "good"}, true},
		{"foo/bar", map[string]any{"allow": "good"}, true},
		{"foo/bar", map[string]any{"deny": nil}, true},
		{"foo/baz", map[string]any{"aLLow": "good"}, true},
		{"foo/baz", map[string]any{"deny": "anything"}, false},
		{"foo/baz", map[string]any{"DENY": "x"}, false},
		{"foo/baz", map[string]any{"allow": "good", "deny": "bad"}, false},
		{"foo/baz", map[string]any{"allow": "bad"}, false},
		{"foo/baz", map[string]any{"neither": "bad"}, false},
		{"foo/baz", map[string]any{"allow": nil}, false},
		{"fizz/buzz", map[string]any{"allow_multi": "good1"}, true},
		{"fizz/buzz", map[string]any{"allow_multi": "glob good3"}, true},
		{"fizz/buzz", map[string]any{"allow_multi": "glob good2"}, false},
		{"fizz/buzz", map[string]any{"allow_multi": "good1, good2"}, true},
		{"fizz/buzz", map[string]any{"allow_multi": []any{"good", "good2"}}, true},
		{"fizz/buzz", map[string]any{"allow_multi": []any{"good", "bad"}}, false},
		{"fizz/buzz", map[string]any{"allow_multi": "good1", "allow": "good"}, true},
		{"fizz/buzz", map[string]any{"deny_multi": "bad2"}, false},
		{"fizz/buzz", map[string]any{"deny_multi": "ok,bad2"}, false},
		{"fizz/buzz", map[string]any{"deny_multi": []any{"ok", "bad1"}}, false},
		{"test/types", map[string]any{"map": map[string]any{"good": "one"}}, true},
		{"test/types", map[string]any{"map": map[string]any{"bad": "one"}}, false},
		{"test/types", map[string]any{"int": 1}, true},
		{"test/types", map[string]any{"int": float64(2)}, true},
		{"test/types", map[string]any{"int": json.Number("2")}, true},
		{"test/types", map[string]any{"int": 3}, false},
		{"test/types", map[string]any{"bool": false}, true},
		{"test/types", map[string]any{"bool": true}, false},
		{"test/star", map[string]any{"anything": true}, true},
		{"test/star", map[string]any{"bar": false}, true},
		{"test/star", map[string]any{"bar": true}, false},
		{"deny/all", map[string]any{"x": 1}, false},
		{"deny/all", nil, true},
		{"req/params", map[string]any{"must": 1, "also": 2, "extra": 3}, true},
		{"req/params", map[string]any{"must": 1}, false},
		{"req/params", nil, false},
	}
	for _, tc := range tests {
		for _, op := range []Operation{OpCreate, OpUpdate} {
			d := a.Authorize(Request{Path: tc.path, Operation: op, Data: tc.data})
			if d.Allowed != tc.want {
				t.Errorf("%s %q %v: allowed=%v, want %v", op, tc.path, tc.data, d.Allowed, tc.want)
			}
		}
	}
	// Parameters are not checked for operations without a body.
	if !a.Allowed("req/params", OpDelete) || a.Allowed("req/params", OpRead) {
		t.Fatal("required_parameters apply to read but not delete")
	}
}

func TestWrappingTTL(t *testing.T) {
	a := compileText(t, paramPolicy)
	tests := []struct {
		ttl  time.Duration
		want bool
	}{
		{0, false},
		{50 * time.Second, false},
		{300 * time.Second, true},
		{350 * time.Second, true},
		{400 * time.Second, true},
		{450 * time.Second, false},
	}
	for _, tc := range tests {
		d := a.Authorize(Request{Path: "wrap/ttl", Operation: OpUpdate, WrapTTL: tc.ttl})
		if d.Allowed != tc.want {
			t.Errorf("wrap ttl %s: allowed=%v, want %v", tc.ttl, d.Allowed, tc.want)
		}
	}
}

func TestConstraintMerge(t *testing.T) {
	a := compileText(t, `
path "foo/bar" {
  policy = "write"
  denied_parameters = {
    "baz" = []
  }
  required_parameters = ["baz"]
}
path "foo/bar" {
  policy = "write"
  denied_parameters = {
    "zip" = []
  }
}
path "hello/universe" {
  policy = "write"
  allowed_parameters = {
    "foo" = []
  }
  required_parameters = ["foo"]
  max_wrapping_ttl = 300
  min_wrapping_ttl = 100
}`, `
path "hello/universe" {
  policy = "write"
  allowed_parameters = {
    "bar" = []
  }
  required_parameters = ["bar"]
  max_wrapping_ttl = 200
  min_wrapping_ttl = 50
}
path "value/merge" {
  policy = "write"
  allowed_parameters = {
    "test" = [3, 4]
  }
}
path "value/merge" {
  policy = "write"
  allowed_parameters = {
    "test" = [1, 2]
    "empty" = []
  }
}
path "value/merge" {
  policy = "write"
  allowed_parameters = {
    "empty" = ["x"]
  }
}`)
	tests := []struct {
		path     string
		min, max time.Duration
		allowed  map[string][]any
		denied   map[string][]any
		required []string
	}{
		{"foo/bar", 0, 0, nil, map[string][]any{"zip": {}, "baz": {}}, []string{"baz"}},
		{"hello/universe", 50 * time.Second, 200 * time.Second,
			map[string][]any{"foo": {}, "bar": {}}, nil, []string{"foo", "bar"}},
		{"value/merge", 0, 0,
			map[string][]any{"test": {1.0, 2.0, 3.0, 4.0}, "empty": {}}, nil, nil},
	}
	for _, tc := range tests {
		c := a.exact[tc.path].constraints
		if c.minWrap != tc.min || c.maxWrap != tc.max || !reflect.DeepEqual(c.allowed, tc.allowed) ||
			!reflect.DeepEqual(c.denied, tc.denied) || !reflect.DeepEqual(c.required, tc.required) {
			t.Errorf("%s: got %+v", tc.path, *c)
		}
	}
}
