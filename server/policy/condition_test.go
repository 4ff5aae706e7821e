package policy

import (
	"fmt"
	"strings"
	"testing"
)

type condCase struct {
	op, vals string   // operator name and the JSON policy value(s)
	req      []string // request values for the key; nil = key absent
	want     bool
}

// runConds evaluates each case as {"Condition":{op:{key:vals}}} on an
// allow-all statement.
func runConds(t *testing.T, key string, cases []condCase) {
	t.Helper()
	for _, tc := range cases {
		d := doc(stmt(`"*"`, `"*"`, fmt.Sprintf(`"Condition":{%q:{%q:%s}}`, tc.op, key, tc.vals)))
		p := mustParse(t, d, Identity)
		ctx := map[string][]string{}
		if tc.req != nil {
			ctx[strings.ToLower(key)] = tc.req
		}
		got := Decide([]Source{{Policy: p}}, Request{Action: "s3:GetObject", Resource: "*", Context: ctx}) == Allow
		if got != tc.want {
			t.Errorf("%s {%s: %s} with %q = %v, want %v", tc.op, key, tc.vals, tc.req, got, tc.want)
		}
	}
}

var absent []string

func TestStringOperators(t *testing.T) {
	runConds(t, "aws:username", []condCase{
		{"StringEquals", `"alice"`, []string{"alice"}, true},
		{"StringEquals", `"alice"`, []string{"Alice"}, false},
		{"StringEquals", `["bob","alice"]`, []string{"alice"}, true},
		{"StringEquals", `"a*"`, []string{"alice"}, false}, // no wildcards
		{"StringEquals", `"a*"`, []string{"a*"}, true},
		{"StringEquals", `"alice"`, absent, false},
		{"StringEquals", `[]`, []string{"alice"}, false},
		{"StringNotEquals", `"alice"`, []string{"bob"}, true},
		{"StringNotEquals", `["bob","alice"]`, []string{"alice"}, false},
		{"StringNotEquals", `"alice"`, absent, true},
		{"StringEqualsIgnoreCase", `"ALICE"`, []string{"alice"}, true},
		{"StringEqualsIgnoreCase", `"ALICE"`, []string{"alicia"}, false},
		{"StringEqualsIgnoreCase", `"ÉCOLE"`, []string{"école"}, true},
		{"StringEqualsIgnoreCase", `"alice"`, absent, false},
		{"StringNotEqualsIgnoreCase", `"ALICE"`, []string{"alice"}, false},
		{"StringNotEqualsIgnoreCase", `"ALICE"`, []string{"bob"}, true},
		{"StringNotEqualsIgnoreCase", `"ALICE"`, absent, true},
		{"StringLike", `"a*"`, []string{"alice"}, true},
		{"StringLike", `"a?ice"`, []string{"alice"}, true},
		{"StringLike", `"A*"`, []string{"alice"}, false},
		{"StringLike", `["x","*e"]`, []string{"alice"}, true},
		{"StringLike", `"a*"`, absent, false},
		{"StringNotLike", `"a*"`, []string{"bob"}, true},
		{"StringNotLike", `"a*"`, []string{"alice"}, false},
		{"StringNotLike", `"a*"`, absent, true},
		{"StringEqualsIfExists", `"alice"`, absent, true},
		{"StringEqualsIfExists", `"alice"`, []string{"bob"}, false},
		{"StringEqualsIfExists", `"alice"`, []string{"alice"}, true},
		{"StringLikeIfExists", `"a*"`, []string{}, true}, // empty = absent
	})
}

func TestStringConditionVariables(t *testing.T) {
	d := doc(stmt(`"*"`, `"*"`, `"Condition":{"StringLike":{"s3:prefix":["${aws:username}/*","home/${aws:username}"]},"StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/owner}"}}`))
	p := mustParse(t, d, Identity)
	base := map[string][]string{"aws:username": {"alice"}, "aws:principaltag/team": {"blue"}, "aws:principaltag/owner": {"blue"}}
	for _, tc := range []struct {
		prefix string
		drop   string
		want   Decision
	}{
		{"alice/docs", "", Allow},
		{"home/alice", "", Allow},
		{"bob/docs", "", ImplicitDeny},
		{"*/docs", "", ImplicitDeny},
		{"alice/docs", "aws:principaltag/owner", ImplicitDeny},
		{"alice/docs", "aws:username", ImplicitDeny},
	} {
		ctx := map[string][]string{"s3:prefix": {tc.prefix}}
		for k, v := range base {
			if k != tc.drop {
				ctx[k] = v
			}
		}
		if got := Decide([]Source{{Policy: p}}, Request{Action: "s3:ListBucket", Resource: "*", Context: ctx}); got != tc.want {
			t.Errorf("prefix %q without %q = %v, want %v", tc.prefix, tc.drop, got, tc.want)
		}
	}
}

func TestNumericOperators(t *testing.T) {
	runConds(t, "aws:MultiFactorAuthAge", []condCase{
		{"NumericEquals", `"10"`, []string{"10"}, true},
		{"NumericEquals", `10`, []string{"10.0"}, true},
		{"NumericEquals", `"10"`, []string{"11"}, false},
		{"NumericEquals", `"10"`, []string{"ten"}, false},
		{"NumericEquals", `"ten"`, []string{"10"}, false},
		{"NumericEquals", `"10"`, absent, false},
		{"NumericNotEquals", `"10"`, []string{"11"}, true},
		{"NumericNotEquals", `["10","11"]`, []string{"11"}, false},
		{"NumericNotEquals", `"10"`, absent, true},
		{"NumericLessThan", `"3600"`, []string{"3599"}, true},
		{"NumericLessThan", `"3600"`, []string{"3600"}, false},
		{"NumericLessThan", `"3600"`, absent, false},
		{"NumericLessThanEquals", `"3600"`, []string{"3600"}, true},
		{"NumericLessThanEquals", `"3600"`, []string{"3601"}, false},
		{"NumericGreaterThan", `"1.5"`, []string{"1.6"}, true},
		{"NumericGreaterThan", `"1.5"`, []string{"-2"}, false},
		{"NumericGreaterThanEquals", `"-1"`, []string{"-1"}, true},
		{"NumericGreaterThanEquals", `"-1"`, []string{"-1.01"}, false},
		{"NumericLessThanIfExists", `"3600"`, absent, true},
		{"NumericLessThan", `"NaN"`, []string{"1"}, false},
	})
}

func TestDateOperators(t *testing.T) {
	runConds(t, "aws:CurrentTime", []condCase{
		{"DateEquals", `"2024-01-01T00:00:00Z"`, []string{"2024-01-01T00:00:00Z"}, true},
		{"DateEquals", `"2024-01-01T00:00:00Z"`, []string{"1704067200"}, true},
		{"DateEquals", `"1704067200"`, []string{"2024-01-01T01:00:00+01:00"}, true},
		{"DateEquals", `"2024-01-01"`, []string{"2024-01-01T00:00:00Z"}, true},
		{"DateEquals", `"2024-01-01T00:00:00Z"`, []string{"2024-01-01T00:00:00.5Z"}, false},
		{"DateEquals", `"2024-01-01T00:00:00Z"`, []string{"garbage"}, false},
		{"DateEquals", `"2024-01-01T00:00:00Z"`, absent, false},
		{"DateNotEquals", `"2024-01-01T00:00:00Z"`, []string{"2024-01-02T00:00:00Z"}, true},
		{"DateNotEquals", `"2024-01-01T00:00:00Z"`, absent, true},
		{"DateLessThan", `"2024-01-01T00:00:00Z"`, []string{"2023-12-31T23:59:59Z"}, true},
		{"DateLessThan", `"2024-01-01T00:00:00Z"`, []string{"2024-01-01T00:00:00Z"}, false},
		{"DateLessThan", `"2024-01-01T00:00:00-05:00"`, []string{"2024-01-01T04:59:59Z"}, true},
		{"DateLessThan", `"2024-01-01T00:00:00-05:00"`, []string{"2024-01-01T05:00:00Z"}, false},
		{"DateLessThanEquals", `"2024-01-01T00:00:00Z"`, []string{"2024-01-01T00:00:00Z"}, true},
		{"DateGreaterThan", `"2024-01-01T00:00:00Z"`, []string{"2024-01-01T00:00:00.001Z"}, true},
		{"DateGreaterThan", `1704067200`, []string{"1704067199"}, false},
		{"DateGreaterThanEquals", `"2024-01-01T00:00:00Z"`, []string{"1704067200"}, true},
		{"DateGreaterThanEquals", `"2024-01-01T00:00:00Z"`, absent, false},
		{"DateGreaterThanIfExists", `"2024-01-01T00:00:00Z"`, absent, true},
		{"DateLessThan", `"-0001-01-01"`, []string{"0"}, false},
	})
}

func TestBoolBinaryNull(t *testing.T) {
	runConds(t, "aws:SecureTransport", []condCase{
		{"Bool", `"true"`, []string{"true"}, true},
		{"Bool", `true`, []string{"TRUE"}, true},
		{"Bool", `"false"`, []string{"true"}, false},
		{"Bool", `false`, []string{"false"}, true},
		{"Bool", `"true"`, []string{"yes"}, false},
		{"Bool", `"false"`, absent, false}, // long-term keys carry no MFA key
		{"BoolIfExists", `"false"`, absent, true},
		{"Null", `"true"`, absent, true},
		{"Null", `"true"`, []string{"true"}, false},
		{"Null", `"false"`, []string{"true"}, true},
		{"Null", `"false"`, absent, false},
		{"Null", `"False"`, []string{}, false},  // an empty list of values is absent
		{"Null", `"False"`, []string{""}, true}, // one empty value is present
		{"Null", `["true","false"]`, absent, true},
		{"BinaryEquals", `"QmluYXJ5"`, []string{"QmluYXJ5"}, true},
		{"BinaryEquals", `"QmluYXJ5"`, []string{"qmluyxj5"}, false},
		{"BinaryEquals", `"QmluYXJ5"`, absent, false},
	})
}

func TestIPOperators(t *testing.T) {
	runConds(t, "aws:SourceIp", []condCase{
		{"IpAddress", `"10.0.0.0/8"`, []string{"10.1.2.3"}, true},
		{"IpAddress", `"10.0.0.0/8"`, []string{"11.0.0.1"}, false},
		{"IpAddress", `"10.1.2.3"`, []string{"10.1.2.3"}, true},
		{"IpAddress", `"10.1.2.3"`, []string{"10.1.2.4"}, false},
		{"IpAddress", `"10.1.2.3/24"`, []string{"10.1.2.200"}, true}, // host bits ignored
		{"IpAddress", `"10.0.0.0/8"`, []string{"::ffff:10.0.0.1"}, true},
		{"IpAddress", `"2001:db8::/32"`, []string{"2001:db8::1"}, true},
		{"IpAddress", `"2001:db8::/32"`, []string{"2001:db9::1"}, false},
		{"IpAddress", `"2001:db8::1"`, []string{"2001:db8::1"}, true},
		{"IpAddress", `"2001:db8::/32"`, []string{"10.0.0.1"}, false},
		{"IpAddress", `["192.168.0.0/16","10.0.0.0/8"]`, []string{"10.0.0.1"}, true},
		{"IpAddress", `"not-an-ip"`, []string{"10.0.0.1"}, false},
		{"IpAddress", `"10.0.0.0/8"`, []string{"not-an-ip"}, false},
		{"IpAddress", `"10.0.0.0/8"`, absent, false},
		{"NotIpAddress", `"10.0.0.0/8"`, []string{"11.0.0.1"}, true},
		{"NotIpAddress", `"10.0.0.0/8"`, []string{"10.0.0.1"}, false},
		{"NotIpAddress", `"10.0.0.0/8"`, absent, true},
		{"IpAddressIfExists", `"10.0.0.0/8"`, absent, true},
	})
}

func TestArnOperators(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/admin"
	runConds(t, "aws:PrincipalArn", []condCase{
		{"ArnEquals", `"` + role + `"`, []string{role}, true},
		{"ArnEquals", `"arn:aws:iam::123456789012:role/Admin"`, []string{role}, false},
		{"ArnEquals", `"arn:aws:iam::*:role/admin"`, []string{role}, true},
		{"ArnLike", `"arn:aws:iam::*:role/*"`, []string{role}, true},
		{"ArnLike", `"arn:aws:iam::*:role/*"`, []string{"arn:aws:iam::123456789012:user/admin"}, false},
		{"ArnLike", `"arn:aws:*:*:*:*"`, []string{"arn:aws:s3:::b/k:with:colons"}, true},
		{"ArnLike", `"arn:aws:iam::1*:role/admin"`, []string{"arn:aws:iam::1:2:role/admin"}, false}, // no '*' across ':'
		{"ArnLike", `"arn:aws:iam::1*:role/admin"`, []string{"arn:aws:iam::12:role/admin"}, true},
		{"ArnLike", `"arn:aws:iam::?:role/a"`, []string{"arn:aws:iam::1:role/a"}, true},
		{"ArnLike", `"arn:aws:iam::123456789012:role/admin"`, []string{"arn:aws:iam::123456789012"}, false},
		{"ArnLike", `"*"`, []string{role}, true},
		{"ArnLike", `"arn:aws:iam::123456789012:user/${aws:username}"`, []string{"arn:aws:iam::123456789012:user/"}, false},
		{"ArnLike", `"arn:aws:iam::*:role/*"`, absent, false},
		{"ArnNotEquals", `"` + role + `"`, []string{role}, false},
		{"ArnNotEquals", `"` + role + `"`, absent, true},
		{"ArnNotLike", `"arn:aws:iam::*:role/*"`, []string{"arn:aws:iam::1:user/x"}, true},
		{"ArnNotLike", `"arn:aws:iam::*:role/*"`, []string{role}, false},
		{"ArnNotLike", `"arn:aws:iam::*:role/*"`, absent, true},
		{"ArnLikeIfExists", `"arn:aws:iam::*:role/*"`, absent, true},
	})
}

func TestArnConditionVariable(t *testing.T) {
	d := doc(stmt(`"*"`, `"*"`, `"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:username}"}}`))
	p := mustParse(t, d, Identity)
	ctx := map[string][]string{"aws:username": {"al:ice"}, "aws:sourcearn": {"arn:aws:iam::1:user/al:ice"}}
	if got := Decide([]Source{{Policy: p}}, Request{Action: "s3:GetObject", Resource: "*", Context: ctx}); got != Allow {
		t.Fatalf("got %v", got)
	}
}

func TestSetOperators(t *testing.T) {
	runConds(t, "aws:TagKeys", []condCase{
		{"ForAnyValue:StringEquals", `["a","b"]`, []string{"x", "b"}, true},
		{"ForAnyValue:StringEquals", `["a","b"]`, []string{"x", "y"}, false},
		{"ForAnyValue:StringEquals", `["a","b"]`, absent, false},
		{"ForAnyValue:StringEquals", `["a","b"]`, []string{}, false},
		{"ForAnyValue:StringNotEquals", `["a","b"]`, []string{"a", "x"}, true},
		{"ForAnyValue:StringNotEquals", `["a","b"]`, []string{"a", "b"}, false},
		{"ForAnyValue:StringNotEquals", `["a","b"]`, absent, false},
		{"ForAnyValue:StringLike", `"team-*"`, []string{"x", "team-a"}, true},
		{"ForAnyValue:StringEqualsIfExists", `"a"`, absent, true},
		{"ForAllValues:StringEquals", `["a","b"]`, []string{"a", "b"}, true},
		{"ForAllValues:StringEquals", `["a","b"]`, []string{"a", "c"}, false},
		{"ForAllValues:StringEquals", `["a","b"]`, absent, true},
		{"ForAllValues:StringEquals", `["a","b"]`, []string{}, true},
		{"ForAllValues:StringNotEquals", `["a","b"]`, []string{"x", "y"}, true},
		{"ForAllValues:StringNotEquals", `["a","b"]`, []string{"x", "a"}, false},
		{"ForAllValues:StringNotEquals", `["a","b"]`, absent, true},
		{"ForAllValues:StringEqualsIgnoreCase", `["A","B"]`, []string{"a", "b"}, true},
		{"ForAllValues:StringLike", `["a*","b*"]`, []string{"ax", "by"}, true},
		{"ForAllValues:StringLike", `["a*","b*"]`, []string{"ax", "cy"}, false},
		{"ForAllValues:NumericLessThan", `"10"`, []string{"1", "2"}, true},
		{"ForAllValues:NumericLessThan", `"10"`, []string{"1", "20"}, false},
		{"ForAnyValue:IpAddress", `"10.0.0.0/8"`, []string{"1.1.1.1", "10.0.0.1"}, true},
		{"ForAllValues:IpAddress", `"10.0.0.0/8"`, []string{"1.1.1.1", "10.0.0.1"}, false},
		{"StringEquals", `"b"`, []string{"a", "b"}, true}, // no qualifier: any request value
		{"StringNotEquals", `"b"`, []string{"a", "b"}, false},
	})
}

// Keys AND within an operator, operators AND, values OR; key names are
// case-insensitive.
func TestConditionBlockLogic(t *testing.T) {
	d := doc(stmt(`"*"`, `"*"`, `"Condition":{
		"StringEquals":{"AWS:UserName":["alice","bob"],"aws:PrincipalTag/Team":"blue"},
		"Bool":{"aws:SecureTransport":"true"}}`))
	p := mustParse(t, d, Identity)
	full := map[string][]string{"aws:username": {"bob"}, "aws:principaltag/team": {"blue"}, "aws:securetransport": {"true"}}
	check := func(name string, ctx map[string][]string, want Decision) {
		t.Helper()
		if got := Decide([]Source{{Policy: p}}, Request{Action: "s3:GetObject", Resource: "*", Context: ctx}); got != want {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	check("all hold", full, Allow)
	for k := range full {
		ctx := map[string][]string{}
		for k2, v := range full {
			if k2 != k {
				ctx[k2] = v
			}
		}
		check("without "+k, ctx, ImplicitDeny)
	}
	bad := map[string][]string{"aws:username": {"carol"}, "aws:principaltag/team": {"blue"}, "aws:securetransport": {"true"}}
	check("value not listed", bad, ImplicitDeny)
}

func TestParseOperator(t *testing.T) {
	for name, want := range map[string]operator{
		"StringLike":                          {fam: famStringLike},
		"StringNotLikeIfExists":               {fam: famStringLike, negate: true, ifExists: true},
		"ForAllValues:NumericLessThan":        {fam: famNumeric, cmp: cmpLt, set: setAll},
		"ForAnyValue:DateGreaterThanEquals":   {fam: famDate, cmp: cmpGe, set: setAny},
		"ForAnyValue:ArnNotLikeIfExists":      {fam: famArn, negate: true, set: setAny, ifExists: true},
		"ForAllValues:NotIpAddressIfExists":   {fam: famIP, negate: true, set: setAll, ifExists: true},
		"ForAnyValue:BinaryEquals":            {fam: famBinary, set: setAny},
		"NullIfExists":                        {fam: famNull, ifExists: true},
		"ForAllValues:StringEqualsIgnoreCase": {fam: famStringFold, set: setAll},
	} {
		got, ok := parseOperator(name)
		if !ok || got != want {
			t.Errorf("parseOperator(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
	}
	for _, bad := range []string{"", "IfExists", "ForAnyValue:", "StringLikeIfExistsIfExists", "forallvalues:StringLike", "StringLike "} {
		if _, ok := parseOperator(bad); ok {
			t.Errorf("parseOperator(%q) accepted", bad)
		}
	}
}
