package acl

import (
	"reflect"
	"strings"
	"testing"

	"iamd/iamerr"
)

func mustParse(t testing.TB, name, text string) *Policy {
	t.Helper()
	p, err := Parse(name, text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", name, err)
	}
	return p
}

// ruleCaps renders a policy's rules as path -> sorted capability names.
func ruleCaps(p *Policy) map[string][]string {
	out := map[string][]string{}
	for _, r := range p.rules {
		out[r.path] = r.caps.names()
	}
	return out
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string][]string
	}{
		{"hcl single", `path "secret/*" { capabilities = ["read", "list"] }`,
			map[string][]string{"secret/*": {"list", "read"}}},
		{"hcl several blocks and comments", `
# comment
path "secret/foo" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"]
}
// another
path "secret/+/teamb" {
  capabilities = ["read",] /* trailing comma */
}
`, map[string][]string{
			"secret/foo":     {"create", "delete", "list", "patch", "read", "sudo", "update"},
			"secret/+/teamb": {"read"},
		}},
		{"json object", `{"path":{"secret/*":{"capabilities":["read"]}}}`,
			map[string][]string{"secret/*": {"read"}}},
		{"json leading space and two paths", `  {"path": {"a": {"capabilities": ["list"]}, "b/*": {"capabilities": ["deny"]}}}`,
			map[string][]string{"a": {"list"}, "b/*": {"deny"}}},
		{"json array of blocks", `{"path":[{"a":{"capabilities":["read"]}},{"b":{"capabilities":["update"]}}]}`,
			map[string][]string{"a": {"read"}, "b": {"update"}}},
		{"deny drops the rest", `path "x" { capabilities = ["read", "deny", "sudo"] }`,
			map[string][]string{"x": {"deny"}}},
		{"leading slash stripped", `path "/secret/x" { capabilities = ["read"] }`,
			map[string][]string{"secret/x": {"read"}}},
		{"old policy read", `path "a" { policy = "read" }`, map[string][]string{"a": {"list", "read"}}},
		{"old policy write", `path "a" { policy = "write" }`,
			map[string][]string{"a": {"create", "delete", "list", "read", "update"}}},
		{"old policy sudo plus capabilities", `path "a" {
  policy = "sudo"
  capabilities = ["patch"]
}`, map[string][]string{"a": {"create", "delete", "list", "patch", "read", "sudo", "update"}}},
		{"old policy deny wins", `path "a" {
  policy = "deny"
  capabilities = ["read"]
}`, map[string][]string{"a": {"deny"}}},
		{"no capabilities grants nothing", `path "a" {}`, map[string][]string{"a": {"deny"}}},
		{"top-level name ignored", `name = "other"
path "a" { capabilities = ["read"] }`, map[string][]string{"a": {"read"}}},
		{"newer capabilities", `path "a" { capabilities = ["subscribe", "recover"] }`,
			map[string][]string{"a": {"recover", "subscribe"}}},
		{"templated path", `path "secret/{{identity.entity.id}}/*" { capabilities = ["read"] }`,
			map[string][]string{"secret/{{identity.entity.id}}/*": {"read"}}},
		{"accepted extra keys", `path "a" {
  capabilities = ["update"]
  comment = "why"
  mfa_methods = ["m1"]
  subscribe_event_types = ["*"]
  control_group = {}
  required_parameters = ["x"]
  allowed_parameters = {
    "x" = []
    "y" = ["a", 1, true]
    "*" = []
  }
  denied_parameters = {
    "/ptr/*" = []
  }
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = 3600
}`, map[string][]string{"a": {"update"}}},
		{"deny skips constraint validation like Vault", `path "a" {
  capabilities = ["deny"]
  allowed_parameters = { "a*b" = [] }
}`, map[string][]string{"a": {"deny"}}},
		{"empty text", ``, map[string][]string{}},
		{"only comments", "# nothing\n", map[string][]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, "p", tc.text)
			if got := ruleCaps(p); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("rules = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown capability", `path "a" { capabilities = ["read", "x"] }`, `path "a": invalid capability "x"`},
		{"capability case matters", `path "a" { capabilities = ["READ"] }`, `invalid capability "READ"`},
		{"unknown path key", `path "a" {
  capabilities = ["read"]
  colour = "red"
}`, `path "a": invalid key "colour" on line 3`},
		{"unknown top-level key", `foo = 1`, `invalid key "foo" on line 1`},
		{"unknown top-level block", `other "x" {}`, `invalid key "other" on line 1`},
		{"json unknown path key", `{"path":{"a":{"capabilities":["read"],"x":1}}}`, `path "a": invalid key "x"`},
		{"json unknown top-level key", `{"paths":{}}`, `invalid key "paths"`},
		{"capabilities not a list", `path "a" { capabilities = "read" }`, `capabilities: must be a list of strings`},
		{"capabilities not strings", `path "a" { capabilities = [["read"]] }`, `must be a list of strings`},
		{"old policy unknown", `path "a" { policy = "admin" }`, `invalid policy "admin"`},
		{"plus star", `path "a/+*" { capabilities = ["read"] }`, `invalid use of wildcards ('+*' is forbidden)`},
		{"unbalanced template", `path "a/{{identity.entity.id" { capabilities = ["read"] }`, `unbalanced templating characters`},
		{"unbalanced template close", `path "a/}}x" { capabilities = ["read"] }`, `unbalanced templating characters`},
		{"hcl interpolation in label", `path "a/${x}" { capabilities = ["read"] }`, `Template sequences are not allowed`},
		{"variable in value", `path "a" { capabilities = [x] }`, `Variables not allowed`},
		{"missing label", `path { capabilities = ["read"] }`, `failed to parse policy`},
		{"two labels", `path "a" "b" { capabilities = ["read"] }`, `failed to parse policy`},
		{"syntax error", `path "a" { capabilities = ["read" }`, `failed to parse policy`},
		{"json syntax error", `{"path": `, `failed to parse policy`},
		{"json invalid utf-8", "{\"path\":{\"\xff\":{}}}", `not valid UTF-8`},
		{"hcl invalid utf-8", "path \"a\xff\" {}", `not valid UTF-8`},
		{"nul byte", "\x00", `failed to parse policy`},
		{"duplicate attribute", "path \"a\" {\n capabilities = [\"read\"]\n capabilities = [\"list\"]\n}", `Attribute redefined`},
		{"nested block in path", "path \"a\" {\n sub {}\n}", `Unexpected "sub" block`},
		{"non-tail param wildcard", "path \"a\" {\n capabilities = [\"read\"]\n allowed_parameters = { \"a*b\" = [] }\n}",
			`allowed_parameters: parameter key "a*b" cannot contain non-tail wildcards`},
		{"param values not a list", "path \"a\" {\n capabilities = [\"read\"]\n denied_parameters = { \"a\" = \"b\" }\n}",
			`denied_parameters: parameter key "a": value must be a list`},
		{"params not a map", "path \"a\" {\n capabilities = [\"read\"]\n allowed_parameters = [\"a\"]\n}",
			`allowed_parameters: must be a map`},
		{"bad ttl", "path \"a\" {\n capabilities = [\"read\"]\n min_wrapping_ttl = \"soon\"\n}", `error parsing min_wrapping_ttl`},
		{"max below min", "path \"a\" {\n capabilities = [\"read\"]\n min_wrapping_ttl = 100\n max_wrapping_ttl = 50\n}",
			`max_wrapping_ttl cannot be less than min_wrapping_ttl`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p", tc.text)
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "failed to parse policy: ") {
				t.Fatalf("error %q lacks Vault's prefix", err)
			}
			if iamerr.KindOf(err) != iamerr.Invalid {
				t.Fatalf("kind = %s, want invalid", iamerr.KindOf(err))
			}
		})
	}
}

func TestParseNames(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "Dev-Team", want: "dev-team"},
		{in: "  ops \n", want: "ops"},
		{in: "default", want: "default"},
		{in: "", err: "policy name must be provided"},
		{in: "   ", err: "policy name must be provided"},
		{in: "root", err: `cannot update "root" policy`},
		{in: "ROOT", err: `cannot update "root" policy`},
		{in: "response-wrapping", err: `cannot update "response-wrapping" policy`},
	}
	for _, tc := range tests {
		p, err := Parse(tc.in, `path "a" { capabilities = ["read"] }`)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) || !iamerr.Is(err, iamerr.Invalid) {
				t.Errorf("Parse(%q) error = %v, want %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", tc.in, err)
		case p.Name() != tc.want:
			t.Errorf("Parse(%q).Name() = %q, want %q", tc.in, p.Name(), tc.want)
		}
	}
}

func TestParseKeepsText(t *testing.T) {
	text := "path \"a\" {\n  capabilities = [\"read\"]\n}\n"
	p := mustParse(t, "p", text)
	if p.Text() != text || p.Templated() || !reflect.DeepEqual(p.Paths(), []string{"a"}) {
		t.Fatalf("Text %q Templated %v Paths %v", p.Text(), p.Templated(), p.Paths())
	}
	if !mustParse(t, "p", `path "a/{{identity.entity.name}}" {}`).Templated() {
		t.Fatal("templated policy not reported")
	}
}

func TestDecodeText(t *testing.T) {
	text := `path "a" { capabilities = ["read"] }`
	if got := DecodeText("cGF0aCAiYSIgeyBjYXBhYmlsaXRpZXMgPSBbInJlYWQiXSB9"); got != text {
		t.Fatalf("base64 not decoded: %q", got)
	}
	if got := DecodeText(text); got != text {
		t.Fatalf("plain text changed: %q", got)
	}
}
