package acl

import (
	"fmt"
	"reflect"
	"testing"
)

func compileText(t testing.TB, texts ...string) *ACL {
	t.Helper()
	var ps []*Policy
	for i, text := range texts {
		ps = append(ps, mustParse(t, fmt.Sprintf("p%d", i), text))
	}
	return New(ps...)
}

type opCase struct {
	op      Operation
	path    string
	allowed bool
	sudo    bool
}

func checkOps(t *testing.T, a *ACL, cases []opCase) {
	t.Helper()
	for _, tc := range cases {
		d := a.Authorize(Request{Path: tc.path, Operation: tc.op})
		if d.Allowed != tc.allowed || d.Sudo != tc.sudo {
			t.Errorf("%s %q: allowed=%v sudo=%v, want allowed=%v sudo=%v",
				tc.op, tc.path, d.Allowed, d.Sudo, tc.allowed, tc.sudo)
		}
	}
}

// The examples of Vault's "Policy Syntax" documentation.
func TestGlobAndExactFromDocs(t *testing.T) {
	a := compileText(t, `
path "secret/foo" {
  capabilities = ["read"]
}
path "secret/bar/*" {
  capabilities = ["read"]
}
path "secret/zip-*" {
  capabilities = ["read"]
}
path "secret/+/teamb" {
  capabilities = ["read"]
}
path "secret/+/+/teamb" {
  capabilities = ["read"]
}`)
	tests := []struct {
		path string
		want bool
	}{
		{"secret/foo", true},
		{"secret/food", false},
		{"secret/foo/bar", false},
		{"secret/bar/zip", true},
		{"secret/bar/zip/zap", true},
		{"secret/bars/zip", false},
		{"secret/zip-zap", true},
		{"secret/zip-zap/zong", true},
		{"secret/zip/zap", false},
		{"secret/x/teamb", true},
		{"secret/foo/bar/teamb", true},
		{"secret/bar/foo/teamb", true},
		{"secret/teamb", false},
		{"secret/a/b/c/teamb", false},
		{"/secret/foo", true},
		{"//secret/foo", true},
	}
	for _, tc := range tests {
		if got := a.Allowed(tc.path, OpRead); got != tc.want {
			t.Errorf("read %q = %v, want %v", tc.path, got, tc.want)
		}
	}
}

// Each policy has a read rule and a more specific update rule; the update
// rule must decide. Cases follow the priority list of Vault's docs and the
// edge cases vault/acl_test.go exercises.
func TestPriorityMatching(t *testing.T) {
	tests := []struct {
		name, lower, higher, path string
	}{
		{"docs: more + segments lose at equal first wildcard", "secret/+/+/foo/*", "secret/*", "secret/a/b/foo/c"},
		{"exact beats glob", "secret/*", "secret/foo", "secret/foo"},
		{"exact beats segment wildcard", "secret/+", "secret/foo", "secret/foo"},
		{"longer glob wins", "secret/*", "secret/foo/*", "secret/foo/bar"},
		{"longer glob wins within a segment", "secret/f*", "secret/fo*", "secret/foo"},
		{"later first wildcard wins", "+/*", "foo/+/*", "foo/bar/bar/baz"},
		{"plain glob beats + at offset 0", "+/*", "*", "foo/bar/bar/baz"},
		{"later + wins", "foo/+/(ar/baz", "foo/(ar/+/baz", "foo/(ar/(ar/baz"},
		{"fewer + wins", "foo/+/+/baz", "foo/+/bar/baz", "foo/bar/bar/baz"},
		{"fewer + wins against glob", "foo/+/+/*", "foo/+/bar/baz", "foo/bar/bar/baz"},
		{"no trailing * wins", "foo/bar/+/baz*", "foo/bar/+/baz", "foo/bar/bar/baz"},
		{"longer prefix wins with +", "foo/bar/+/b*", "foo/bar/+/ba*", "foo/bar/bar/baz"},
		{"segment beats glob at same offset", "1/2/*", "1/2/+", "1/2/3"},
		{"glob beats earlier segment", "a/+/c", "a/b/*", "a/b/c"},
		{"+ beats * at same offset", "foo/*", "foo/+", "foo/bar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, order := range [][2]string{{tc.lower, tc.higher}, {tc.higher, tc.lower}} {
				text := fmt.Sprintf("path %q {\n capabilities = [%q]\n}\npath %q {\n capabilities = [%q]\n}\n",
					order[0], capFor(order[0], tc.higher), order[1], capFor(order[1], tc.higher))
				a := compileText(t, text)
				if !a.Allowed(tc.path, OpUpdate) || a.Allowed(tc.path, OpRead) {
					t.Fatalf("%q: update=%v read=%v; want the rule %q to decide",
						tc.path, a.Allowed(tc.path, OpUpdate), a.Allowed(tc.path, OpRead), tc.higher)
				}
			}
		})
	}
}

func capFor(path, higher string) string {
	if path == higher {
		return "update"
	}
	return "read"
}

func TestSegmentWildcards(t *testing.T) {
	a := compileText(t, `
path "test/+/segment" {
  capabilities = ["read"]
}
path "+/segment/at/front" {
  capabilities = ["read"]
}
path "test/segment/at/end/+" {
  capabilities = ["read"]
}
path "test/segment/at/end/v2/+/" {
  capabilities = ["read"]
}
path "test/+/wildcard/+/*" {
  capabilities = ["read"]
}
path "+" {
  capabilities = ["list"]
}
path "a+/b" {
  capabilities = ["update"]
}
path "1/2/*" {
  capabilities = ["create"]
}
path "1/2/+" {
  capabilities = ["read"]
}
path "1/2/+/+" {
  capabilities = ["update"]
}`)
	checkOps(t, a, []opCase{
		{OpRead, "test/foo/segment", true, false},
		{OpRead, "test/bar/segment", true, false},
		{OpRead, "test/foo/bar/segment", false, false},
		{OpRead, "test//segment", true, false}, // + matches an empty segment, as in Vault
		{OpRead, "x/segment/at/front", true, false},
		{OpRead, "test/segment/at/frond", false, false},
		{OpRead, "test/segment/at/end/foo", true, false},
		{OpRead, "test/segment/at/end/foo/", false, false},
		{OpRead, "test/segment/at/end/v2/foo/", true, false},
		{OpRead, "test/segment/wildcard/at/foo/", true, false},
		{OpRead, "test/segment/wildcard/at/end", true, false},
		{OpRead, "test/segment/wildcard/at/end/deeper", true, false},
		{OpRead, "test/segment/wildcard/at", false, false},
		{OpList, "anything", true, false},
		{OpList, "two/segments", false, false},
		// "+" not at a segment start is literal.
		{OpUpdate, "a+/b", true, false},
		{OpUpdate, "ax/b", false, false},
		{OpRead, "1/2/3", true, false},
		{OpUpdate, "1/2/3", false, false},
		{OpRead, "1/2/3/4", false, false},
		{OpUpdate, "1/2/3/4", true, false},
		{OpCreate, "1/2/3/4/5", true, false},
	})
}

// A LIST arrives with a trailing slash; Vault also tries the path without
// it, first as an exact rule and then against globs and segment wildcards.
func TestListTrailingSlash(t *testing.T) {
	a := compileText(t, `
path "secret/metadata" {
  capabilities = ["list"]
}
path "kv/+/dir" {
  capabilities = ["list"]
}
path "auth/token/accessors" {
  capabilities = ["list", "sudo"]
}
path "glob/dir*" {
  capabilities = ["list"]
}`)
	checkOps(t, a, []opCase{
		{OpList, "secret/metadata/", true, false},
		{OpList, "secret/metadata", true, false},
		{OpRead, "secret/metadata/", false, false},
		{OpList, "kv/x/dir/", true, false},
		{OpList, "auth/token/accessors/", true, true},
		{OpList, "glob/dir/", true, false},
	})
	if got := a.Capabilities("kv/x/dir/"); !reflect.DeepEqual(got, []string{"list"}) {
		t.Fatalf("Capabilities(kv/x/dir/) = %v", got)
	}
}

func TestCapabilitiesSortedAndDeny(t *testing.T) {
	a := compileText(t, `
path "dev/*" {
  policy = "sudo"
}
path "stage/aws/*" {
  policy = "read"
  capabilities = ["update", "sudo", "patch"]
}
path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "secret/super-secret" {
  capabilities = ["deny"]
}
path "empty" {
  capabilities = []
}`)
	tests := []struct {
		path string
		want []string
	}{
		{"dev", []string{"deny"}},
		{"dev/", []string{"create", "delete", "list", "read", "sudo", "update"}},
		{"stage/aws/test", []string{"list", "patch", "read", "sudo", "update"}},
		{"secret/foo", []string{"create", "delete", "list", "patch", "read", "update"}},
		{"secret/super-secret", []string{"deny"}},
		{"empty", []string{"deny"}},
		{"nowhere", []string{"deny"}},
	}
	for _, tc := range tests {
		if got := a.Capabilities(tc.path); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Capabilities(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

// An empty rule still decides its path: it shadows a broader grant.
func TestEmptyRuleShadows(t *testing.T) {
	a := compileText(t, "path \"secret/*\" {\n capabilities = [\"read\"]\n}\npath \"secret/x\" {}\n")
	if a.Allowed("secret/x", OpRead) || !a.Allowed("secret/y", OpRead) {
		t.Fatal("exact empty rule must deny secret/x only")
	}
}
