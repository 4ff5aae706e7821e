package acl

import (
	"reflect"
	"sync"
	"testing"
)

const devPolicy = `
name = "DeV"
path "dev/*" {
  policy = "sudo"
}
path "stage/*" {
  policy = "write"
}
path "stage/aws/*" {
  policy = "read"
  capabilities = ["update", "sudo"]
}
path "stage/aws/policy/*" {
  policy = "sudo"
}
path "prod/*" {
  policy = "read"
}
path "prod/aws/*" {
  policy = "deny"
}
path "sys/*" {
  policy = "deny"
}
path "foo/bar" {
  capabilities = ["read", "create", "sudo"]
}
path "baz/quux" {
  capabilities = ["read", "create", "patch"]
}
`

const opsPolicy = `
path "dev/hide/*" {
  policy = "deny"
}
path "stage/aws/policy/*" {
  policy = "deny"
  capabilities = ["read", "update", "sudo"]
}
path "prod/*" {
  policy = "write"
}
path "sys/seal" {
  policy = "sudo"
}
path "foo/bar" {
  capabilities = ["deny"]
}
path "baz/quux" {
  capabilities = ["deny"]
}
`

func TestSinglePolicy(t *testing.T) {
	checkOps(t, compileText(t, devPolicy), []opCase{
		{OpRead, "root", false, false},
		{OpRead, "dev/foo", true, true},
		{OpUpdate, "dev/foo", true, true},
		{OpDelete, "stage/foo", true, false},
		{OpList, "stage/aws/foo", true, true},
		{OpUpdate, "stage/aws/foo", true, true},
		{OpUpdate, "stage/aws/policy/foo", true, true},
		{OpDelete, "prod/foo", false, false},
		{OpUpdate, "prod/foo", false, false},
		{OpRead, "prod/foo", true, false},
		{OpList, "prod/foo", true, false},
		{OpRead, "prod/aws/foo", false, false},
		{OpRead, "foo/bar", true, true},
		{OpList, "foo/bar", false, true},
		{OpUpdate, "foo/bar", false, true},
		{OpCreate, "foo/bar", true, true},
		{OpPatch, "baz/quux", true, false},
		{OpUpdate, "baz/quux", false, false},
		{OpRenew, "dev/x", true, true},
		{OpRevoke, "prod/x", false, false},
		{Operation(0), "dev/x", false, true},
	})
}

// Rules with the same pattern merge across policies, and a deny absorbs
// them; different patterns never add up: the best match alone decides.
func TestLayeredPolicies(t *testing.T) {
	a := compileText(t, devPolicy, opsPolicy)
	checkOps(t, a, []opCase{
		{OpRead, "dev/foo", true, true},
		{OpRead, "dev/hide/foo", false, false},
		{OpUpdate, "stage/aws/policy/foo", false, false},
		{OpUpdate, "prod/foo", true, false}, // read ∪ write on "prod/*"
		{OpDelete, "prod/foo", true, false},
		{OpRead, "prod/aws/foo", false, false},
		{OpRead, "sys/status", false, false},
		{OpUpdate, "sys/seal", true, true}, // exact rule beats the denying glob
		{OpRead, "foo/bar", false, false},  // same pattern: deny wins
		{OpCreate, "foo/bar", false, false},
		{OpPatch, "baz/quux", false, false},
	})
	if got := a.Capabilities("foo/bar"); !reflect.DeepEqual(got, []string{"deny"}) {
		t.Fatalf("Capabilities(foo/bar) = %v", got)
	}
}

func TestMergeOrderIndependent(t *testing.T) {
	a := `path "secret/*" { capabilities = ["read"] }`
	b := `path "secret/*" { capabilities = ["list", "update"] }`
	c := `path "secret/*" { capabilities = ["deny"] }`
	want := []string{"list", "read", "update"}
	for _, acl := range []*ACL{compileText(t, a, b), compileText(t, b, a)} {
		if got := acl.Capabilities("secret/x"); !reflect.DeepEqual(got, want) {
			t.Fatalf("union = %v, want %v", got, want)
		}
	}
	for _, acl := range []*ACL{compileText(t, a, c, b), compileText(t, c, a), compileText(t, b, c)} {
		if got := acl.Capabilities("secret/x"); !reflect.DeepEqual(got, []string{"deny"}) {
			t.Fatalf("deny not absorbing: %v", got)
		}
	}
}

// Vault's documented rule: a more specific pattern in one policy hides a
// broader grant in another policy; they are not unioned.
func TestMostSpecificPatternAcrossPolicies(t *testing.T) {
	a := compileText(t,
		`path "secret/*" { capabilities = ["update"] }`,
		`path "secret/data/foo" { capabilities = ["read"] }`)
	if got := a.Capabilities("secret/data/foo"); !reflect.DeepEqual(got, []string{"read"}) {
		t.Fatalf("Capabilities = %v, want [read]", got)
	}
	if got := a.Capabilities("secret/data/bar"); !reflect.DeepEqual(got, []string{"update"}) {
		t.Fatalf("Capabilities = %v, want [update]", got)
	}
}

func TestRootPolicy(t *testing.T) {
	for _, a := range []*ACL{New(RootPolicy()), New(RootPolicy(), DefaultPolicy())} {
		if !a.IsRoot() {
			t.Fatal("IsRoot false")
		}
		if got := a.Capabilities("any/path"); !reflect.DeepEqual(got, []string{"root"}) {
			t.Fatalf("Capabilities = %v", got)
		}
		d := a.Authorize(Request{Path: "sys/audit/x", Operation: OpDelete, Data: map[string]any{"x": 1}})
		if d != (Decision{Allowed: true, Sudo: true, Root: true}) || !a.AllowedSudo("sys/raw", OpRead) {
			t.Fatalf("root decision = %+v", d)
		}
	}
	if RootPolicy().Name() != "root" || RootPolicy().Text() != "" {
		t.Fatal("root policy identity")
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if p.Name() != "default" || p.Text() != DefaultPolicyText || !p.Templated() {
		t.Fatalf("default policy: name %q templated %v", p.Name(), p.Templated())
	}
	// The text must also be accepted through Parse, as stored policies are.
	mustParse(t, "default", DefaultPolicyText)

	a := New(p)
	checkOps(t, a, []opCase{
		{OpRead, "auth/token/lookup-self", true, false},
		{OpUpdate, "auth/token/lookup-self", false, false},
		{OpUpdate, "auth/token/renew-self", true, false},
		{OpUpdate, "auth/token/revoke-self", true, false},
		{OpUpdate, "sys/capabilities-self", true, false},
		{OpRead, "sys/internal/ui/resultant-acl", true, false},
		{OpUpdate, "sys/leases/lookup", true, false},
		{OpCreate, "cubbyhole/x", true, false},
		{OpList, "cubbyhole/", true, false},
		{OpUpdate, "sys/wrapping/unwrap", true, false},
		{OpUpdate, "sys/tools/hash/sha2-256", true, false},
		{OpRead, "identity/oidc/provider/default/authorize", true, false},
		{OpRead, "identity/entity/id/abc", false, false}, // templated: no entity
		{OpRead, "secret/x", false, false},
		{OpRead, "auth/token/lookup", false, false},
	})

	withEntity := Compile((&Entity{ID: "e-1", Name: "alice"}).Resolve, p)
	checkOps(t, withEntity, []opCase{
		{OpRead, "identity/entity/id/e-1", true, false},
		{OpRead, "identity/entity/id/e-2", false, false},
		{OpRead, "identity/entity/name/alice", true, false},
		{OpRead, "identity/entity/name/bob", false, false},
	})
}

func TestTemplatedPaths(t *testing.T) {
	p := mustParse(t, "t", `
path "secret/data/{{identity.entity.id}}/*" {
  capabilities = ["read"]
}
path "secret/meta/{{ identity.entity.metadata.team }}" {
  capabilities = ["list"]
}
path "kv/{{identity.entity.aliases.auth_userpass_1234.name}}" {
  capabilities = ["update"]
}
path "groups/{{identity.groups.names.ops.id}}/{{identity.groups.ids.g-1.metadata.env}}" {
  capabilities = ["read"]
}
path "time/{{time.now}}" {
  capabilities = ["read"]
}
path "plain" {
  capabilities = ["read"]
}`)
	e := &Entity{
		ID: "e-1", Name: "alice",
		Metadata: map[string]string{"team": "blue"},
		Aliases:  []Alias{{MountAccessor: "auth_userpass_1234", ID: "al-1", Name: "alice-up"}},
		Groups:   []Group{{ID: "g-1", Name: "ops", Metadata: map[string]string{"env": "prod"}}},
	}
	a := Compile(e.Resolve, p)
	checkOps(t, a, []opCase{
		{OpRead, "secret/data/e-1/x", true, false},
		{OpRead, "secret/data/e-2/x", false, false},
		{OpList, "secret/meta/blue", true, false},
		{OpUpdate, "kv/alice-up", true, false},
		{OpRead, "groups/g-1/prod", true, false},
		{OpRead, "plain", true, false},
	})
	if len(a.Rules()) != 5 {
		t.Fatalf("time template should be dropped: %+v", a.Rules())
	}

	none := New(p)
	if !none.Allowed("plain", OpRead) || len(none.Rules()) != 1 {
		t.Fatalf("without identity only the plain path stays: %+v", none.Rules())
	}
	// A value that would add a wildcard drops the path.
	wild := Compile((&Entity{ID: "x+y"}).Resolve, p)
	if wild.Allowed("secret/data/x+y/z", OpRead) {
		t.Fatal("templated wildcard must be dropped")
	}
}

func TestEntityResolve(t *testing.T) {
	e := &Entity{ID: "id", Name: "n", Metadata: map[string]string{"k": "v"},
		Groups: []Group{{ID: "gid", Name: "gname"}}}
	tests := []struct {
		param, want string
		ok          bool
	}{
		{"identity.entity.id", "id", true},
		{"identity.entity.name", "n", true},
		{"identity.entity.metadata.k", "v", true},
		{"identity.entity.metadata.missing", "", false},
		{"identity.entity.aliases.none.id", "", false},
		{"identity.entity.aliases", "", false},
		{"identity.groups.ids.gid.name", "gname", true},
		{"identity.groups.names.gname.id", "gid", true},
		{"identity.groups.names.gname", "", false},
		{"identity.groups.other.x.id", "", false},
		{"identity.entity", "", false},
		{"time.now", "", false},
	}
	for _, tc := range tests {
		got, ok := e.Resolve(tc.param)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tc.param, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := (*Entity)(nil).Resolve("identity.entity.id"); ok {
		t.Error("nil entity resolved")
	}
}

func TestRules(t *testing.T) {
	a := compileText(t,
		"path \"b/*\" {\n capabilities = [\"read\"]\n}\npath \"a\" {\n capabilities = [\"update\"]\n}\npath \"c/+/d*\" {\n capabilities = [\"list\"]\n}\npath \"c/+\" {\n capabilities = [\"deny\"]\n}\n",
		`path "a" { capabilities = ["read"] }`)
	want := []Rule{
		{Path: "a", Capabilities: []string{"read", "update"}},
		{Path: "c/+", Capabilities: []string{"deny"}},
		{Path: "b/", Glob: true, Capabilities: []string{"read"}},
		{Path: "c/+/d", Glob: true, Capabilities: []string{"list"}},
	}
	if got := a.Rules(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Rules = %+v\nwant %+v", got, want)
	}
}

func TestNoPolicies(t *testing.T) {
	a := New(nil)
	if a.IsRoot() || a.Allowed("x", OpRead) || !reflect.DeepEqual(a.Capabilities("x"), []string{"deny"}) {
		t.Fatal("empty ACL must deny")
	}
}

func TestCheckDelete(t *testing.T) {
	if err := CheckDelete("root"); err == nil || err.Error() != `cannot delete "root" policy` {
		t.Fatalf("root: %v", err)
	}
	if err := CheckDelete("default"); err == nil || err.Error() != "cannot delete default policy" {
		t.Fatalf("default: %v", err)
	}
	if err := CheckDelete("dev"); err != nil {
		t.Fatalf("dev: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	a := compileText(t, devPolicy, opsPolicy, DefaultPolicyText)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				a.Capabilities("stage/aws/x")
				a.Allowed("prod/foo", OpUpdate)
				a.Rules()
			}
		}()
	}
	wg.Wait()
}
