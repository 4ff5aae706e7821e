package policy

import (
	"fmt"
	"reflect"
	"testing"
)

const userDoc = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadOwn", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "arn:aws:iam::1:user/${aws:username}"},
    {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}
  ]
}`

const guardDoc = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},
    {"Sid": "TLS", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}`

func TestEvaluateDenyOverrides(t *testing.T) {
	user := mustParse(t, userDoc, Identity)
	guard := mustParse(t, guardDoc, Identity)
	admin := mustParse(t, doc(okAll), Identity)
	set := []Source{{ID: "user/alice/own", Policy: user}, {ID: "arn:aws:iam::1:policy/guard", Policy: guard}, {ID: "admin", Policy: admin}, {ID: "none"}}
	ctx := map[string][]string{"aws:username": {"alice"}, "aws:securetransport": {"true"}}

	res := Evaluate(set, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k", Context: ctx})
	want := Result{Decision: Allow, Matched: []MatchedStatement{
		{SourceID: "user/alice/own", Sid: "S3", Index: 1, Effect: "Allow", Start: Position{5, 5}, End: Position{5, 89}},
		{SourceID: "admin", Index: 0, Effect: "Allow", Start: Position{1, 37}, End: Position{1, 82}},
	}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("GetObject:\n got %+v\nwant %+v", res, want)
	}

	res = Evaluate(set, Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::data/k", Context: map[string][]string{"aws:securetransport": {"false"}}})
	want = Result{Decision: ExplicitDeny, Matched: []MatchedStatement{
		{SourceID: "arn:aws:iam::1:policy/guard", Sid: "NoDelete", Index: 0, Effect: "Deny", Start: Position{4, 5}, End: Position{4, 82}},
		{SourceID: "arn:aws:iam::1:policy/guard", Sid: "TLS", Index: 1, Effect: "Deny", Start: Position{5, 5}, End: Position{5, 125}},
	}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("DeleteObject:\n got %+v\nwant %+v", res, want)
	}

	res = Evaluate(set[:2], Request{Action: "iam:CreateUser", Resource: "*", Context: ctx})
	if res.Decision != ImplicitDeny || len(res.Matched) != 0 {
		t.Errorf("CreateUser: %+v", res)
	}
	if res := Evaluate(nil, Request{Action: "s3:GetObject"}); res.Decision != ImplicitDeny {
		t.Errorf("empty set: %+v", res)
	}
}

// The decision must not depend on the order of sources or statements, and
// Decide must agree with Evaluate.
func TestEvaluateOrderAndDecideAgree(t *testing.T) {
	user := mustParse(t, userDoc, Identity)
	guard := mustParse(t, guardDoc, Identity)
	admin := mustParse(t, doc(okAll), Identity)
	sets := [][]Source{
		{{Policy: user}, {Policy: guard}, {Policy: admin}},
		{{Policy: admin}, {Policy: guard}, {Policy: user}},
		{{Policy: guard}, {Policy: user}},
		{{Policy: user}},
	}
	actions := []string{"s3:GetObject", "s3:DeleteObject", "iam:GetUser", "iam:CreateUser", "sts:GetCallerIdentity"}
	resources := []string{"arn:aws:s3:::data/k", "arn:aws:iam::1:user/alice", "arn:aws:iam::1:user/bob", "*"}
	for _, tls := range []string{"true", "false"} {
		ctx := map[string][]string{"aws:username": {"alice"}, "aws:securetransport": {tls}}
		for _, a := range actions {
			for _, r := range resources {
				req := Request{Action: a, Resource: r, Context: ctx}
				d0 := Evaluate(sets[0], req).Decision
				if d1 := Evaluate(sets[1], req).Decision; d1 != d0 {
					t.Errorf("%s %s tls=%s: order changes decision %v vs %v", a, r, tls, d0, d1)
				}
				for _, s := range sets {
					if e, d := Evaluate(s, req).Decision, Decide(s, req); e != d {
						t.Errorf("%s %s: Evaluate %v, Decide %v", a, r, e, d)
					}
				}
			}
		}
	}
}

func TestDecisionStrings(t *testing.T) {
	got := fmt.Sprint(ImplicitDeny, Allow, ExplicitDeny)
	if got != "implicitDeny allowed explicitDeny" {
		t.Fatal(got)
	}
}

// Evaluation on the request path must not allocate.
func TestDecideDoesNotAllocate(t *testing.T) {
	set := benchSet(t)
	reqs := benchRequests()
	allocs := testing.AllocsPerRun(100, func() {
		for _, r := range reqs {
			Decide(set, r)
		}
	})
	if allocs != 0 {
		t.Fatalf("Decide allocates %v times per run", allocs)
	}
}

// A request's condition keys are built only when a statement whose action
// matches reads them, and once however many do.
func TestContextFuncCalledOnlyWhenNeeded(t *testing.T) {
	plain := Source{ID: "plain", Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`, Identity)}
	user := Source{ID: "user", Policy: mustParse(t, userDoc, Identity)}
	guard := Source{ID: "guard", Policy: mustParse(t, guardDoc, Identity)}
	tests := []struct {
		name    string
		sources []Source
		req     Request
		ctx     map[string][]string
		want    Decision
		calls   int
	}{
		{"no statement reads keys", []Source{plain}, Request{Action: "iam:GetUser", Resource: "arn:aws:iam::1:user/bob"},
			map[string][]string{"aws:securetransport": {"false"}}, Allow, 0},
		{"a condition reads them", []Source{plain, guard}, Request{Action: "iam:GetUser", Resource: "arn:aws:iam::1:user/bob"},
			map[string][]string{"aws:securetransport": {"false"}}, ExplicitDeny, 1},
		{"a condition and a variable read them once", []Source{user, guard}, Request{Action: "iam:GetUser", Resource: "arn:aws:iam::1:user/bob"},
			map[string][]string{"aws:securetransport": {"true"}, "aws:username": {"bob"}}, Allow, 1},
		{"the variable resolves from them", []Source{user}, Request{Action: "iam:GetUser", Resource: "arn:aws:iam::1:user/bob"},
			map[string][]string{"aws:username": {"alice"}}, ImplicitDeny, 1},
		{"keys read but absent", []Source{user, guard}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/x"},
			nil, Allow, 1}, // guard's TLS statement has Action "*": it reads them (absent: Bool fails)
		{"a given Context is used as it is", []Source{guard}, Request{Action: "iam:GetUser", Resource: "*",
			Context: map[string][]string{"aws:securetransport": {"true"}}}, map[string][]string{"aws:securetransport": {"false"}}, ImplicitDeny, 0},
	}
	for _, tc := range tests {
		for _, eval := range []string{"Decide", "Evaluate"} {
			calls := 0
			req := tc.req
			req.ContextFunc = func() map[string][]string { calls++; return tc.ctx }
			var got Decision
			if eval == "Decide" {
				got = Decide(tc.sources, req)
			} else {
				got = Evaluate(tc.sources, req).Decision
			}
			if got != tc.want || calls != tc.calls {
				t.Errorf("%s (%s): %v with %d calls, want %v with %d", tc.name, eval, got, calls, tc.want, tc.calls)
			}
		}
	}
}
