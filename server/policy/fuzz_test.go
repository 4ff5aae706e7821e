package policy

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are documents that reach every validation rule and every
// operator family, so mutation starts from interesting places.
var fuzzSeeds = []string{
	userDoc, guardDoc, benchSelfService, benchTeamS3, benchForceMFA, benchAdmin,
	doc(okAll),
	doc(`{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}`),
	doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:user/a"},"NotAction":"s3:Get*","NotResource":["arn:aws:s3:::b/${aws:username}/*"]}`),
	doc(stmt(`"*"`, `"*"`, `"Condition":{"DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"3600"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"},"Null":{"aws:TokenIssueTime":"true"},"BinaryEquals":{"k":"QQ=="}}`)),
	doc(stmt(`"*"`, `"*"`, `"Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","${aws:username}?"]},"ForAnyValue:StringNotEqualsIgnoreCase":{"aws:TagKeys":"X"},"BoolIfExists":{"aws:MultiFactorAuthPresent":false}}`)),
	doc(`[` + stmt(`"s3:*"`, `"bucket"`, `"Sid":"A"`) + `,` + stmt(`"s3:*"`, `"arn:aws:s3::b"`, `"Sid":"A"`) + `]`),
	`{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"iam:x:y","Resource":"arn:foo:iam:r:1:thing"}}`,
	`{"Version":"2008-10-17","Statement":[]}`,
	`{"Statement":"x"}`,
	``, `null`, `[`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		for k := range 4 {
			f.Add(s, uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, d string, k uint8) {
		kind := Kind(k % 4)
		p, err := Parse(d, kind)
		if err != nil {
			var merr *MalformedError
			if !errors.As(err, &merr) || merr.Message == "" || p != nil {
				t.Fatalf("Parse error %T %v with policy %v", err, err, p)
			}
			return
		}
		checkCompiled(t, d, p)
		p2, err := Parse(d, kind)
		if err != nil || len(p2.Statements) != len(p.Statements) {
			t.Fatalf("reparse differs: %v", err)
		}
		// Compiled policies must evaluate without panicking whatever they hold.
		req := Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Principal: &Principal{AWS: []string{"arn:aws:iam::1:user/a"}}}
		checkEvaluation(t, []Source{{ID: "p", Policy: p}}, req)
	})
}

// checkCompiled checks what Parse promises about an accepted document.
func checkCompiled(t *testing.T, d string, p *Policy) {
	t.Helper()
	if len(p.Statements) == 0 || p.Version != "2012-10-17" {
		t.Fatalf("accepted policy %+v", p)
	}
	lines := strings.Count(d, "\n") + 1
	for i, s := range p.Statements {
		if s.Start.Line < 1 || s.End.Line > lines || s.Start.Column < 1 || s.End.Column < 1 ||
			s.Start.Line > s.End.Line || (s.Start.Line == s.End.Line && s.Start.Column >= s.End.Column) {
			t.Fatalf("statement %d at %v-%v in %d lines", i, s.Start, s.End, lines)
		}
	}
	_ = p.ContextKeys()
}

// checkEvaluation checks the invariants of Evaluate and Decide.
func checkEvaluation(t *testing.T, set []Source, req Request) {
	t.Helper()
	res := Evaluate(set, req)
	if d := Decide(set, req); d != res.Decision {
		t.Fatalf("Decide %v, Evaluate %v", d, res.Decision)
	}
	want := map[Decision]string{Allow: "Allow", ExplicitDeny: "Deny"}[res.Decision]
	if (res.Decision == ImplicitDeny) != (len(res.Matched) == 0) {
		t.Fatalf("%v with %d matched statements", res.Decision, len(res.Matched))
	}
	for _, m := range res.Matched {
		if m.Effect != want {
			t.Fatalf("%v reports a %s statement", res.Decision, m.Effect)
		}
	}
}

func FuzzEvaluate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "s3:GetObject", "arn:aws:s3:::corp-data/blue/x", "aws:username", "alice", "10.1.2.3", "arn:aws:iam::123456789012:user/alice")
		f.Add(s, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/alice", "aws:principaltag/team", "blue", "2001:db8::1", "123456789012")
		f.Add(s, "sts:AssumeRole", "*", "aws:multifactorauthpresent", "false", "x", "")
	}
	f.Fuzz(func(t *testing.T, d, action, resource, key, value, ip, caller string) {
		ctx := map[string][]string{
			strings.ToLower(key): {value},
			"aws:sourceip":       {ip},
			"aws:currenttime":    {"2024-06-01T12:00:00Z"},
			"aws:tagkeys":        {value, key},
		}
		req := Request{Action: action, Resource: resource, Context: ctx, Principal: &Principal{AWS: []string{caller}}}
		for _, kind := range []Kind{Identity, Trust} {
			p, err := Parse(d, kind)
			if err != nil {
				continue
			}
			checkEvaluation(t, []Source{{ID: "a", Policy: p}}, req)
			checkEvaluation(t, []Source{{ID: "a", Policy: p}, {ID: "b", Policy: p}}, req)
			req.Principal = nil
			checkEvaluation(t, []Source{{ID: "a", Policy: p}}, req)
		}
	})
}

// FuzzGlob checks the wildcard matcher against a regular expression built
// from the same pattern.
func FuzzGlob(f *testing.F) {
	for _, seed := range [][2]string{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x"}, {"*a*b*c", "xaybzc"}, {"a?c", "abc"},
		{"**", ""}, {"?", "é"}, {"*?*", "ab"}, {"iam:Get*", "IAM:getuser"}, {"a*a*a*a*b", "aaaaaaaaaaaaaaaa"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if !utf8.ValidString(pat) || !utf8.ValidString(s) {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for _, r := range pat {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		p := compilePattern(pat, patternOpts{wild: true}, nil)
		if got := p.match(s, nil); got != want {
			t.Fatalf("glob %q on %q = %v, regexp says %v", pat, s, got, want)
		}
		// Folded matching equals matching the lower-cased ASCII forms.
		pf := compilePattern(pat, patternOpts{wild: true, fold: true}, nil)
		pl := compilePattern(asciiLowerString(pat), patternOpts{wild: true}, nil)
		if got, want := pf.match(s, nil), pl.match(asciiLowerString(s), nil); got != want {
			t.Fatalf("folded glob %q on %q = %v, want %v", pat, s, got, want)
		}
	})
}

func asciiLowerString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}
