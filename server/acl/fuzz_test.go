package acl

import (
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse and, when it parses, compiles and
// queries the policy: nothing may panic, and answers must be stable.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		DefaultPolicyText,
		devPolicy,
		opsPolicy,
		paramPolicy,
		`path "secret/*" { capabilities = ["read", "list"] }`,
		`{"path":{"secret/*":{"capabilities":["read"]}}}`,
		`{"path":[{"a/+/b*":{"capabilities":["deny"]}}]}`,
		`path "+" { policy = "write" }`,
		`path "a/{{identity.entity.id}}/+/*" { capabilities = ["update"] }`,
		"path \"a\" {\n allowed_parameters = { \"*\" = [] }\n min_wrapping_ttl = \"1h\"\n}",
		`{"path":{"a":{"allowed_parameters":{"x":[1,{"y":[true]}]}}}}`,
		`name = "x"`,
		`path "" { capabilities = ["read"] }`,
		"{\"path\":{\"a\":{\"allowed_parameters\":{\"x\":[1e999999]}}}}",
		"path \"a\" {\n min_wrapping_ttl = 1e300\n}",
		"path \"a\" {\n allowed_parameters = { for k, v in {a = 1} : k => [v] }\n}",
		``,
	} {
		f.Add(seed, "secret/foo/bar")
	}
	entity := &Entity{ID: "e1", Name: "n1", Metadata: map[string]string{"k": "v"}}
	f.Fuzz(func(t *testing.T, text, path string) {
		p, err := Parse("fuzz", text)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			return
		}
		for _, a := range []*ACL{New(p), Compile(entity.Resolve, p, DefaultPolicy())} {
			caps := a.Capabilities(path)
			if len(caps) == 0 {
				t.Fatal("no capabilities reported")
			}
			if !reflect.DeepEqual(caps, a.Capabilities(path)) {
				t.Fatal("capabilities not stable")
			}
			for op := OpRead; op <= OpRecover; op++ {
				a.Authorize(Request{Path: path, Operation: op, Data: map[string]any{"x": "y,z", "k": []any{1.0}}})
			}
			// Capabilities looks paths up as a LIST does, so they must agree.
			if a.Allowed(path, OpList) && !contains(caps, List) && !a.IsRoot() {
				t.Fatalf("list on %q allowed although capabilities are %v", path, caps)
			}
			a.Rules()
		}
	})
}
