package policy

import "testing"

func trustPolicy(t *testing.T, principal, extra string) *Policy {
	t.Helper()
	s := `{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"`
	if extra != "" {
		s += "," + extra
	}
	return mustParse(t, doc(s+"}"), Trust)
}

func TestPrincipalMatching(t *testing.T) {
	const acct = "123456789012"
	alice := &Principal{AWS: []string{"arn:aws:iam::" + acct + ":user/alice"}}
	session := &Principal{AWS: []string{"arn:aws:sts::" + acct + ":assumed-role/dev/s1", "arn:aws:iam::" + acct + ":role/dev"}}
	other := &Principal{AWS: []string{"arn:aws:iam::999999999999:user/alice"}}
	explicit := &Principal{AWS: []string{"arn:aws:iam::999999999999:user/x"}, Account: acct}
	ec2 := &Principal{Service: "ec2.amazonaws.com"}
	saml := &Principal{Federated: "arn:aws:iam::" + acct + ":saml-provider/idp"}
	tests := []struct {
		name, principal string
		caller          *Principal
		want            bool
	}{
		{"star", `"*"`, alice, true},
		{"star anonymous", `"*"`, nil, true},
		{"aws star", `{"AWS":"*"}`, ec2, true},
		{"account id", `{"AWS":"` + acct + `"}`, alice, true},
		{"account id other", `{"AWS":"` + acct + `"}`, other, false},
		{"account id explicit", `{"AWS":"` + acct + `"}`, explicit, true},
		{"root arn", `{"AWS":"arn:aws:iam::` + acct + `:root"}`, alice, true},
		{"root arn session", `{"AWS":"arn:aws:iam::` + acct + `:root"}`, session, true},
		{"root arn other", `{"AWS":"arn:aws:iam::` + acct + `:root"}`, other, false},
		{"user arn", `{"AWS":"arn:aws:iam::` + acct + `:user/alice"}`, alice, true},
		{"user arn case", `{"AWS":"arn:aws:iam::` + acct + `:user/Alice"}`, alice, false},
		{"user arn other", `{"AWS":"arn:aws:iam::` + acct + `:user/bob"}`, alice, false},
		{"role arn", `{"AWS":"arn:aws:iam::` + acct + `:role/dev"}`, session, true},
		{"list", `{"AWS":["arn:aws:iam::` + acct + `:user/bob","arn:aws:iam::` + acct + `:user/alice"]}`, alice, true},
		{"anonymous", `{"AWS":"` + acct + `"}`, nil, false},
		{"service", `{"Service":"ec2.amazonaws.com"}`, ec2, true},
		{"service case", `{"Service":"EC2.amazonaws.com"}`, ec2, true},
		{"service other", `{"Service":"lambda.amazonaws.com"}`, ec2, false},
		{"service vs user", `{"Service":"ec2.amazonaws.com"}`, alice, false},
		{"federated", `{"Federated":"arn:aws:iam::` + acct + `:saml-provider/idp"}`, saml, true},
		{"federated other", `{"Federated":"x"}`, saml, false},
		{"canonical user never", `{"CanonicalUser":"abc"}`, alice, false},
		{"mixed", `{"AWS":"arn:aws:iam::` + acct + `:user/bob","Service":"ec2.amazonaws.com"}`, ec2, true},
	}
	for _, tc := range tests {
		p := trustPolicy(t, tc.principal, "")
		got := Decide([]Source{{Policy: p}}, Request{Action: "sts:AssumeRole", Principal: tc.caller}) == Allow
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNotPrincipal(t *testing.T) {
	const acct = "123456789012"
	allow := trustPolicy(t, `{"AWS":"`+acct+`"}`, "")
	deny := mustParse(t, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::`+acct+`:user/admin"},"Action":"sts:AssumeRole"}`), Trust)
	set := []Source{{Policy: allow}, {Policy: deny}}
	admin := &Principal{AWS: []string{"arn:aws:iam::" + acct + ":user/admin"}}
	bob := &Principal{AWS: []string{"arn:aws:iam::" + acct + ":user/bob"}}
	if got := Decide(set, Request{Action: "sts:AssumeRole", Principal: admin}); got != Allow {
		t.Errorf("admin: %v", got)
	}
	if got := Decide(set, Request{Action: "sts:AssumeRole", Principal: bob}); got != ExplicitDeny {
		t.Errorf("bob: %v", got)
	}
	if got := Decide(set, Request{Action: "sts:AssumeRole"}); got != ExplicitDeny {
		t.Errorf("anonymous: %v", got)
	}
}

func TestTrustConditions(t *testing.T) {
	p := trustPolicy(t, `{"AWS":"123456789012"}`, `"Condition":{"StringEquals":{"sts:ExternalId":"ext-1"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}`)
	caller := &Principal{AWS: []string{"arn:aws:iam::123456789012:user/alice"}}
	for _, tc := range []struct {
		ctx  map[string][]string
		want Decision
	}{
		{map[string][]string{"sts:externalid": {"ext-1"}, "aws:multifactorauthpresent": {"true"}}, Allow},
		{map[string][]string{"sts:externalid": {"ext-2"}, "aws:multifactorauthpresent": {"true"}}, ImplicitDeny},
		{map[string][]string{"sts:externalid": {"ext-1"}}, ImplicitDeny},
	} {
		req := Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/r", Principal: caller, Context: tc.ctx}
		if got := Decide([]Source{{Policy: p}}, req); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.ctx, got, tc.want)
		}
	}
	if got := Decide([]Source{{Policy: p}}, Request{Action: "sts:AssumeRoleWithSAML", Principal: caller}); got != ImplicitDeny {
		t.Errorf("other action: %v", got)
	}
}

func TestArnAccount(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::123:user/a":              "123",
		"arn:aws:sts::123:assumed-role/r/s":    "123",
		"arn:aws:s3:::bucket":                  "",
		"arn:aws:iam::123":                     "",
		"not-an-arn":                           "",
		"arn:aws:sqs:us-east-1:456:q:with:col": "456",
	} {
		if got := arnAccount(in); got != want {
			t.Errorf("arnAccount(%q) = %q, want %q", in, got, want)
		}
	}
}
