package policy

import "testing"

// allows reports whether the single-statement identity policy built from
// action and resource allows the request.
func allows(t *testing.T, action, resource string, req Request) bool {
	t.Helper()
	p := mustParse(t, doc(stmt(action, resource, "")), Identity)
	return Decide([]Source{{Policy: p}}, req) == Allow
}

func TestActionMatching(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{`"iam:GetUser"`, "iam:GetUser", true},
		{`"iam:GetUser"`, "IAM:getuser", true},
		{`"IAM:GETUSER"`, "iam:GetUser", true},
		{`"iam:GetUser"`, "iam:GetUsers", false},
		{`"iam:GetUser"`, "iam:GetUse", false},
		{`"iam:*"`, "iam:CreateUser", true},
		{`"iam:*"`, "IAM:CreateUser", true},
		{`"iam:*"`, "sts:AssumeRole", false},
		{`"iam:*"`, "iam", false},
		{`"*"`, "anything:AtAll", true},
		{`"iam:Get*"`, "iam:GetUser", true},
		{`"iam:Get*"`, "iam:ListUsers", false},
		{`"iam:*User"`, "iam:GetUser", true},
		{`"iam:*User"`, "iam:GetUserPolicy", false},
		{`"iam:*User*"`, "iam:GetUserPolicy", true},
		{`"iam:Get?ser"`, "iam:GetUser", true},
		{`"iam:Get?ser"`, "iam:GetUUser", false},
		{`"iam:*Access?ey*"`, "iam:CreateAccessKey", true},
		{`"s3:*Object"`, "s3:GetObject", true},
		{`"*:GetObject"`, "s3:getobject", true},
		{`["iam:GetUser","s3:*"]`, "s3:PutObject", true},
		{`["iam:GetUser","s3:*"]`, "sts:GetCallerIdentity", false},
	}
	for _, tc := range tests {
		if got := allows(t, tc.pattern, `"*"`, Request{Action: tc.action, Resource: "x"}); got != tc.want {
			t.Errorf("Action %s vs %q = %v, want %v", tc.pattern, tc.action, got, tc.want)
		}
	}
}

func TestResourceMatching(t *testing.T) {
	const user = "arn:aws:iam::123456789012:user/alice"
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{`"*"`, user, true},
		{`"*"`, "", true},
		{`"` + user + `"`, user, true},
		{`"arn:aws:iam::123456789012:user/Alice"`, user, false}, // case-sensitive
		{`"arn:aws:iam::123456789012:user/*"`, user, true},
		{`"arn:aws:iam::123456789012:user/*"`, "arn:aws:iam::123456789012:user/eng/bob", true},
		{`"arn:aws:iam::123456789012:user/*"`, "arn:aws:iam::123456789012:group/admins", false},
		{`"arn:aws:iam::*:user/alice"`, user, true},
		{`"arn:aws:iam::123456789012:*"`, user, true},
		{`"arn:aws:sqs:*:123456789012:*"`, "arn:aws:sqs:us-east-1:123456789012:q:x", true}, // a star crosses colons
		{`"arn:aws:iam::12345678901?:user/alice"`, user, true},
		{`"arn:aws:iam::12345678901?:user/alice"`, "arn:aws:iam::1234567890123:user/alice", false},
		{`"arn:aws:s3:::bucket/*"`, "arn:aws:s3:::bucket/a/b:c", true},
		{`"arn:aws:s3:::bucket/*"`, "arn:aws:s3:::bucket", false},
		{`"arn:aws:s3:::bucket*"`, "arn:aws:s3:::bucket", true},
		{`"arn:aws:s3:::b/*/x"`, "arn:aws:s3:::b/1/2/x", true},
		{`"arn:aws:s3:::b/*/x"`, "arn:aws:s3:::b/1/2/y", false},
		{`"arn:aws:s3:::b/*a*b*c"`, "arn:aws:s3:::b/xaybzc", true},
		{`"arn:aws:s3:::b/*a*b*c"`, "arn:aws:s3:::b/xaybz", false},
		{`"arn:aws:s3:::b/?"`, "arn:aws:s3:::b/é", true}, // ? is one character
		{`"arn:aws:s3:::b/??"`, "arn:aws:s3:::b/é", false},
		{`["arn:aws:s3:::a","arn:aws:s3:::b"]`, "arn:aws:s3:::b", true},
	}
	for _, tc := range tests {
		if got := allows(t, `"*"`, tc.pattern, Request{Action: "s3:GetObject", Resource: tc.resource}); got != tc.want {
			t.Errorf("Resource %s vs %q = %v, want %v", tc.pattern, tc.resource, got, tc.want)
		}
	}
}

func TestNotActionNotResource(t *testing.T) {
	p := mustParse(t, doc(`[{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"},
		{"Effect":"Allow","Action":"iam:GetUser","NotResource":["arn:aws:iam::1:user/admin*"]}]`), Identity)
	tests := []struct {
		action, resource string
		want             Decision
	}{
		{"s3:GetObject", "arn:aws:s3:::b", Allow},
		{"IAM:CreateUser", "*", ImplicitDeny},
		{"sts:AssumeRole", "*", ImplicitDeny},
		{"iam:GetUser", "arn:aws:iam::1:user/alice", Allow},
		{"iam:GetUser", "arn:aws:iam::1:user/admin-bob", ImplicitDeny},
	}
	for _, tc := range tests {
		if got := Decide([]Source{{Policy: p}}, Request{Action: tc.action, Resource: tc.resource}); got != tc.want {
			t.Errorf("%s on %s = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
	// NotAction with Deny: deny everything except the listed actions.
	deny := mustParse(t, doc(`{"Effect":"Deny","NotAction":"iam:ChangePassword","Resource":"*"}`), Identity)
	all := mustParse(t, doc(okAll), Identity)
	set := []Source{{Policy: all}, {Policy: deny}}
	if got := Decide(set, Request{Action: "iam:ChangePassword", Resource: "*"}); got != Allow {
		t.Errorf("ChangePassword = %v", got)
	}
	if got := Decide(set, Request{Action: "iam:GetUser", Resource: "*"}); got != ExplicitDeny {
		t.Errorf("GetUser = %v", got)
	}
}

const okAll = `{"Effect":"Allow","Action":"*","Resource":"*"}`

func TestVariables(t *testing.T) {
	ctx := map[string][]string{
		"aws:username":          {"alice"},
		"aws:userid":            {"AIDAEXAMPLE"},
		"aws:principaltag/team": {"blue"},
		"aws:tagkeys":           {"a", "b"},
		"aws:empty":             {""},
	}
	const iam = "arn:aws:iam::1:user/"
	tests := []struct {
		pattern, resource string
		ctx               map[string][]string
		want              bool
	}{
		{`"arn:aws:iam::1:user/${aws:username}"`, iam + "alice", ctx, true},
		{`"arn:aws:iam::1:user/${aws:username}"`, iam + "bob", ctx, false},
		{`"arn:aws:iam::1:user/${AWS:UserName}"`, iam + "alice", ctx, true},
		{`"arn:aws:iam::1:user/${aws:userid}"`, iam + "AIDAEXAMPLE", ctx, true},
		{`"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"`, "arn:aws:s3:::b/blue/x", ctx, true},
		{`"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"`, "arn:aws:s3:::b/red/x", ctx, false},
		{`"arn:aws:iam::1:user/${aws:username}"`, iam, nil, false}, // unresolvable
		{`"arn:aws:iam::1:user/${aws:username}"`, iam + "${aws:username}", nil, false},
		{`"arn:aws:iam::1:user/${aws:username, 'anon'}"`, iam + "anon", nil, true},
		{`"arn:aws:iam::1:user/${aws:username,'anon'}"`, iam + "alice", ctx, true},
		{`"arn:aws:iam::1:user/${aws:tagkeys}"`, iam + "a", ctx, false}, // multivalued
		{`"arn:aws:iam::1:user/${aws:empty}x"`, iam + "x", ctx, true},
		{`"arn:aws:s3:::b/${*}"`, "arn:aws:s3:::b/*", nil, true},
		{`"arn:aws:s3:::b/${*}"`, "arn:aws:s3:::b/x", nil, false},
		{`"arn:aws:s3:::b/${?}${$}"`, "arn:aws:s3:::b/?$", nil, true},
		{`"arn:aws:s3:::b/${unterminated"`, "arn:aws:s3:::b/${unterminated", nil, true},
		{`"arn:aws:s3:::b/${bad default, anon}"`, "arn:aws:s3:::b/${bad default, anon}", nil, true},
		{`"arn:aws:s3:::b/${aws:username}/*"`, "arn:aws:s3:::b/alice/", ctx, true},
		{`"arn:aws:s3:::b/${aws:username}?${aws:userid}"`, "arn:aws:s3:::b/alice-AIDAEXAMPLE", ctx, true},
		{`"arn:aws:s3:::b/${a}${b}${c}${d}${e}${f}${g}${h}${i}"`, "arn:aws:s3:::b/123456789",
			map[string][]string{"a": {"1"}, "b": {"2"}, "c": {"3"}, "d": {"4"}, "e": {"5"}, "f": {"6"}, "g": {"7"}, "h": {"8"}, "i": {"9"}}, true},
	}
	for _, tc := range tests {
		if got := allows(t, `"*"`, tc.pattern, Request{Action: "s3:GetObject", Resource: tc.resource, Context: tc.ctx}); got != tc.want {
			t.Errorf("Resource %s vs %q = %v, want %v", tc.pattern, tc.resource, got, tc.want)
		}
	}
}

// A substituted value is literal: a user named "*" must not match every
// resource, and "?" must not match any one character.
func TestVariableValuesAreLiteral(t *testing.T) {
	p := mustParse(t, doc(stmt(`"s3:*"`, `"arn:aws:s3:::home/${aws:username}/*"`, "")), Identity)
	for _, tc := range []struct {
		user, resource string
		want           bool
	}{
		{"*", "arn:aws:s3:::home/alice/x", false},
		{"*", "arn:aws:s3:::home/*/x", true},
		{"a?", "arn:aws:s3:::home/ab/x", false},
	} {
		req := Request{Action: "s3:GetObject", Resource: tc.resource, Context: map[string][]string{"aws:username": {tc.user}}}
		if got := Decide([]Source{{Policy: p}}, req) == Allow; got != tc.want {
			t.Errorf("user %q on %s = %v, want %v", tc.user, tc.resource, got, tc.want)
		}
	}
}

// An unresolvable variable in NotResource matches nothing, so the statement
// applies to every resource.
func TestUnresolvedVariableInNotResource(t *testing.T) {
	p := mustParse(t, doc(`{"Effect":"Deny","Action":"iam:*","NotResource":"arn:aws:iam::1:user/${aws:username}"}`), Identity)
	if got := Decide([]Source{{Policy: p}}, Request{Action: "iam:GetUser", Resource: "arn:aws:iam::1:user/x"}); got != ExplicitDeny {
		t.Fatalf("got %v", got)
	}
}
