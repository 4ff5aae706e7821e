package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// doc wraps statements (a JSON object or array) in a 2012-10-17 document.
func doc(statements string) string {
	return `{"Version":"2012-10-17","Statement":` + statements + `}`
}

// stmt is an identity statement allowing action on resource, plus extra
// members (a leading comma is added).
func stmt(action, resource, extra string) string {
	s := fmt.Sprintf(`{"Effect":"Allow","Action":%s,"Resource":%s`, action, resource)
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func mustParse(t testing.TB, d string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse(d, kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", d, err)
	}
	return p
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
	}{
		{"statement object", Identity, doc(stmt(`"iam:GetUser"`, `"*"`, ""))},
		{"statement array", Identity, doc(`[` + stmt(`"iam:*"`, `"*"`, "") + `,` + stmt(`"s3:Get*"`, `["arn:aws:s3:::b","arn:aws:s3:::b/*"]`, "") + `]`)},
		{"action star", Identity, doc(stmt(`"*"`, `"*"`, ""))},
		{"vendor star", Identity, doc(stmt(`"*:Get*"`, `"*"`, ""))},
		{"id and sid", Identity, `{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::123456789012:user/*"}}`},
		{"empty sids repeat", Identity, doc(`[` + stmt(`"iam:A"`, `"*"`, `"Sid":""`) + `,` + stmt(`"iam:B"`, `"*"`, `"Sid":""`) + `]`)},
		{"variables", Identity, doc(stmt(`"iam:*"`, `"arn:aws:iam::123456789012:user/${aws:username}"`, ""))},
		{"iam star path", Identity, doc(stmt(`"iam:*"`, `"arn:aws:iam::123456789012:*"`, ""))},
		{"s3 access point region", Identity, doc(stmt(`"s3:*"`, `"arn:aws:s3:us-east-1:123456789012:accesspoint/ap"`, ""))},
		{"other service region", Identity, doc(stmt(`"sqs:*"`, `"arn:aws-cn:sqs:cn-north-1:123456789012:q"`, ""))},
		{"condition value kinds", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"StringEquals":{"aws:username":["a","b"]}}`))},
		{"condition prefixes", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"a*"},"ForAllValues:StringEquals":{"aws:TagKeys":[]}}`))},
		{"empty known operator", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"StringEquals":{}}`))},
		{"dates", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"DateGreaterThan":{"aws:CurrentTime":["2020-01-01T00:00:00Z","2020-01-01","1577836800","2020-01-01T10:00:00.123+05:30","2020-06-01T10:00-05:00",1577836800]}}`))},
		{"session", Session, doc(stmt(`"s3:GetObject"`, `"arn:aws:s3:::b/*"`, ""))},
		{"trust account", Trust, doc(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`)},
		{"trust many", Trust, doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/a"],"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}`)},
		{"trust star", Trust, doc(`{"Effect":"Allow","Principal":"*","Action":"sts:assumerole"}`)},
		{"trust not principal", Trust, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)},
		{"resource based", ResourceBased, doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)},
		{"duplicate keys keep last", Identity, `{"Version":"2008-10-17","Version":"2012-10-17","Statement":` + stmt(`"s3:*"`, `"*"`, "") + `}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { mustParse(t, tc.doc, tc.kind) })
	}
}

const (
	okStmt    = `{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}`
	trustStmt = `{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`
)

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string
	}{
		// Rule 1: syntax.
		{"not json", Identity, `{"Version":`, msgSyntax},
		{"deep nesting", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"StringEquals":{"k":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}}`)), msgSyntax},
		{"deep unclosed", Identity, strings.Repeat("[", 100000), msgSyntax},
		{"trailing data", Identity, doc(okStmt) + `x`, msgSyntax},
		{"not an object", Identity, `[]`, msgSyntax},
		{"empty statement list", Identity, doc(`[]`), msgSyntax},
		{"statement string", Identity, doc(`"x"`), msgSyntax},
		{"statement list of strings", Identity, doc(`["x"]`), msgSyntax},
		{"no statement", Identity, `{"Version":"2012-10-17"}`, msgSyntax},
		{"unknown top element", Identity, `{"Version":"2012-10-17","Foo":1,"Statement":` + okStmt + `}`, msgSyntax},
		{"conditions top element", Identity, `{"Version":"2012-10-17","Conditions":{},"Statement":` + okStmt + `}`, msgSyntax},
		{"unknown version", Identity, `{"Version":"2010-01-01","Statement":` + okStmt + `}`, msgSyntax},
		{"numeric version", Identity, `{"Version":2012,"Statement":` + okStmt + `}`, msgSyntax},
		{"numeric id", Identity, `{"Version":"2012-10-17","Id":1,"Statement":` + okStmt + `}`, msgSyntax},
		{"unknown statement element", Identity, doc(`{"Effect":"Allow","Actions":"iam:GetUser","Resource":"*"}`), msgSyntax},
		{"action and notaction", Identity, doc(stmt(`"iam:A"`, `"*"`, `"NotAction":"iam:B"`)), msgSyntax},
		{"resource and notresource", Identity, doc(stmt(`"iam:A"`, `"*"`, `"NotResource":"*"`)), msgSyntax},
		{"principal and notprincipal", Trust, doc(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"}`), msgSyntax},
		{"missing effect", Identity, doc(`{"Action":"iam:A","Resource":"*"}`), msgSyntax},
		{"bad effect", Identity, doc(`{"Effect":"Permit","Action":"iam:A","Resource":"*"}`), msgSyntax},
		{"numeric effect", Identity, doc(`{"Effect":1,"Action":"iam:A","Resource":"*"}`), msgSyntax},
		{"numeric action", Identity, doc(stmt(`1`, `"*"`, "")), msgSyntax},
		{"numeric action item", Identity, doc(stmt(`["iam:A",1]`, `"*"`, "")), msgSyntax},
		{"resource object", Identity, doc(stmt(`"iam:A"`, `{}`, "")), msgSyntax},
		{"numeric sid", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Sid":1`)), msgSyntax},
		{"condition string", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":"x"`)), msgSyntax},
		{"condition body string", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"StringEquals":"x"}`)), msgSyntax},
		{"unknown operator", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"StringEqualz":{"a":"b"}}`)), msgSyntax},
		{"unknown operator empty", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"StringEqualz":{}}`)), msgSyntax},
		{"operator case", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"stringequals":{"a":"b"}}`)), msgSyntax},
		{"two set prefixes", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"ForAnyValue:ForAllValues:StringEquals":{"a":"b"}}`)), msgSyntax},
		{"condition value object", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"StringEquals":{"a":{}}}`)), msgSyntax},
		{"condition value null", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"StringEquals":{"a":null}}`)), msgSyntax},
		{"condition nested list", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Condition":{"StringEquals":{"a":[["b"]]}}`)), msgSyntax},
		{"principal string", Trust, doc(`{"Effect":"Allow","Principal":"me","Action":"sts:AssumeRole"}`), msgSyntax},
		{"principal type", Trust, doc(`{"Effect":"Allow","Principal":{"User":"x"},"Action":"sts:AssumeRole"}`), msgSyntax},
		{"principal empty", Trust, doc(`{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}`), msgSyntax},
		// Rule 2: version.
		{"no version", Identity, `{"Statement":` + okStmt + `}`, msgVersion},
		{"old version", Identity, `{"Version":"2008-10-17","Statement":` + okStmt + `}`, msgVersion},
		// Rule 3: legacy parsing.
		{"effect case", Identity, doc(`{"Effect":"allow","Action":"iam:A","Resource":"*"}`), msgLegacy},
		{"bad date", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"DateLessThan":{"aws:CurrentTime":"yesterday"}}`)), msgLegacy},
		{"bad month", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"DateLessThanIfExists":{"aws:CurrentTime":"2020-13-01"}}`)), msgLegacy},
		{"bad epoch", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"ForAnyValue:DateEquals":{"aws:CurrentTime":"12.5"}}`)), msgLegacy},
		{"bool date", Identity, doc(stmt(`"*"`, `"*"`, `"Condition":{"DateEquals":{"aws:CurrentTime":true}}`)), msgLegacy},
		{"double colon short", Identity, doc(stmt(`"s3:*"`, `"arn:aws:s3::b"`, "")), msgLegacy},
		{"empty service", Identity, doc(stmt(`"s3:*"`, `"arn:aws::us-east-1:1:x"`, "")), msgLegacy},
		{"legacy in notresource", Identity, doc(`{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3::b"]}`), msgLegacy},
		// Rule 4: Sids.
		{"duplicate sid", Identity, doc(`[` + stmt(`"iam:A"`, `"*"`, `"Sid":"S"`) + `,` + stmt(`"iam:B"`, `"*"`, `"Sid":"S"`) + `]`), msgSidUnique},
		// Rule 5: actions.
		{"no action", Identity, doc(`{"Effect":"Allow","Resource":"*"}`), msgNoActions},
		{"empty action list", Identity, doc(stmt(`[]`, `"*"`, "")), msgNoActions},
		{"empty notaction list", Identity, doc(`{"Effect":"Allow","NotAction":[],"Resource":"*"}`), msgNoActions},
		// Rule 6: resource format.
		{"not an arn", Identity, doc(stmt(`"s3:*"`, `"bucket"`, "")), `Resource bucket must be in ARN format or "*".`},
		{"not arn prefix", Identity, doc(stmt(`"s3:*"`, `"urn:aws:s3:::b"`, "")), `Resource urn:aws:s3:::b must be in ARN format or "*".`},
		{"short arn", Identity, doc(stmt(`"sqs:*"`, `"arn:aws:sqs:us-east-1:123456789012"`, "")), `Resource arn:aws:sqs:us-east-1:123456789012 must be in ARN format or "*".`},
		{"bad partition", Identity, doc(stmt(`"s3:*"`, `"arn:foo:s3:::b"`, "")), `Partition "foo" is not valid for resource "arn:foo:s3:::b".`},
		{"bad partition short", Identity, doc(stmt(`"s3:*"`, `"arn:foo"`, "")), `Partition "foo" is not valid for resource "arn:foo:*:*:*:*".`},
		{"wildcard partition", Identity, doc(stmt(`"s3:*"`, `"arn:*:s3:::b"`, "")), `Partition "*" is not valid for resource "arn:*:s3:::b".`},
		{"no vendor", Identity, doc(stmt(`"s3:*"`, `"arn:aws"`, "")), msgVendorRegex},
		{"wildcard vendor", Identity, doc(stmt(`"s3:*"`, `"arn:aws:s*:::b"`, "")), msgVendorRegex},
		{"iam region", Identity, doc(stmt(`"iam:*"`, `"arn:aws:iam:us-east-1:123456789012:user/a"`, "")), `IAM resource arn:aws:iam:us-east-1:123456789012:user/a cannot contain region information.`},
		{"s3 region", Identity, doc(stmt(`"s3:*"`, `"arn:aws:s3:us-east-1::b"`, "")), `Resource arn:aws:s3:us-east-1::b can not contain region information.`},
		{"iam path", Identity, doc(stmt(`"iam:*"`, `"arn:aws:iam::123456789012:thing/a"`, "")), msgIAMPathPrefix},
		{"last error in list wins", Identity, doc(stmt(`"s3:*"`, `["apple","zebra"]`, "")), `Resource apple must be in ARN format or "*".`},
		{"format before legacy", Identity, doc(`[` + stmt(`"s3:*"`, `"bucket"`, "") + `,` + stmt(`"s3:*"`, `"arn:aws:s3::b"`, "") + `]`), `Resource bucket must be in ARN format or "*".`},
		{"legacy before format", Identity, doc(`[` + stmt(`"s3:*"`, `"arn:aws:s3::b"`, "") + `,` + stmt(`"s3:*"`, `"bucket"`, "") + `]`), msgLegacy},
		{"actions before format", Identity, doc(`{"Effect":"Allow","Resource":"bucket"}`), msgNoActions},
		// Rule 7: action prefixes.
		{"no vendor prefix", Identity, doc(stmt(`"GetUser"`, `"*"`, "")), msgVendorPrefix},
		{"empty action", Identity, doc(stmt(`""`, `"*"`, "")), msgVendorPrefix},
		{"two colons", Identity, doc(stmt(`"iam:Get:User"`, `"*"`, "")), msgOneColon},
		{"bad vendor", Identity, doc(stmt(`"i_am:GetUser"`, `"*"`, "")), "Vendor i_am is not valid"},
		{"empty vendor", Identity, doc(stmt(`":GetUser"`, `"*"`, "")), "Vendor  is not valid"},
		{"format before prefix", Identity, doc(stmt(`"GetUser"`, `"bucket"`, "")), `Resource bucket must be in ARN format or "*".`},
		{"notaction prefix", Identity, doc(`{"Effect":"Allow","NotAction":"x","Resource":"*"}`), msgVendorPrefix},
		// Rule 8: resources.
		{"no resource", Identity, doc(`{"Effect":"Allow","Action":"iam:A"}`), msgNoResources},
		{"empty resource list", Session, doc(stmt(`"iam:A"`, `[]`, "")), msgNoResources},
		{"resource policy no resource", ResourceBased, doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}`), msgNoResources},
		{"prefix before resources", Identity, doc(`{"Effect":"Allow","Action":"x"}`), msgVendorPrefix},
		// Rule 8': trust policies.
		{"trust other action", Trust, doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}`), msgTrustActions},
		{"trust star action", Trust, doc(`{"Effect":"Allow","Principal":"*","Action":"sts:*"}`), msgTrustActions},
		{"trust notaction", Trust, doc(`{"Effect":"Allow","Principal":"*","NotAction":"sts:AssumeRole"}`), msgTrustActions},
		{"trust resource", Trust, doc(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}`), msgTrustResource},
		// iamd additions.
		{"identity principal", Identity, doc(stmt(`"iam:A"`, `"*"`, `"Principal":"*"`)), msgNoPrincipal},
		{"session notprincipal", Session, doc(stmt(`"iam:A"`, `"*"`, `"NotPrincipal":{"AWS":"*"}`)), msgNoPrincipal},
		{"trust without principal", Trust, doc(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), msgNeedPrincipal},
		{"resource without principal", ResourceBased, doc(stmt(`"s3:*"`, `"*"`, "")), msgNeedPrincipal},
		{"bad aws principal", Trust, doc(`{"Effect":"Allow","Principal":{"AWS":["123456789012","alice"]},"Action":"sts:AssumeRole"}`), `Invalid principal in policy: "AWS":"alice"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc, tc.kind)
			var merr *MalformedError
			if !errors.As(err, &merr) {
				t.Fatalf("Parse = %v, %v; want MalformedError %q", p, err, tc.want)
			}
			if merr.Message != tc.want {
				t.Fatalf("message = %q, want %q", merr.Message, tc.want)
			}
		})
	}
}

func TestParseCompiled(t *testing.T) {
	d := "{\n  \"Version\": \"2012-10-17\",\n  \"Id\": \"pid\",\n  \"Statement\": [\n    {\"Sid\": \"One\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n" +
		"    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:DeleteBucket\",\n      \"Resource\": \"arn:aws:s3:::${aws:username}\",\n" +
		"      \"Condition\": {\"StringLike\": {\"s3:prefix\": \"${aws:PrincipalTag/team}/*\"}, \"Bool\": {\"aws:SecureTransport\": \"false\"}}\n    }\n  ]\n}"
	p := mustParse(t, d, Identity)
	if p.Version != "2012-10-17" || p.ID != "pid" || p.Kind != Identity || len(p.Statements) != 2 {
		t.Fatalf("policy = %+v", p)
	}
	s0, s1 := p.Statements[0], p.Statements[1]
	if s0.Sid != "One" || s0.Effect != EffectAllow || s1.Effect != EffectDeny {
		t.Fatalf("statements = %+v, %+v", s0, s1)
	}
	if s0.Start != (Position{5, 5}) || s0.End != (Position{5, 72}) {
		t.Errorf("statement 0 at %v-%v", s0.Start, s0.End)
	}
	if s1.Start != (Position{6, 5}) || s1.End != (Position{11, 5}) {
		t.Errorf("statement 1 at %v-%v", s1.Start, s1.End)
	}
	want := []string{"aws:username", "s3:prefix", "aws:PrincipalTag/team", "aws:SecureTransport"}
	if got := p.ContextKeys(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ContextKeys = %v, want %v", got, want)
	}
}

func TestPositionCountsCharacters(t *testing.T) {
	d := `{"Id":"é","Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	p := mustParse(t, d, Identity)
	// The statement's '{' is byte 47 but character 46 (é is two bytes).
	if got := p.Statements[0].Start; got != (Position{1, 46}) {
		t.Fatalf("Start = %v", got)
	}
}

func TestKindAndEffectStrings(t *testing.T) {
	for k, want := range map[Kind]string{Identity: "identity", Session: "session", Trust: "trust", ResourceBased: "resource", Kind(9): "unknown"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
	if EffectAllow.String() != "Allow" || EffectDeny.String() != "Deny" {
		t.Error("Effect strings")
	}
}
