package awsquery_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"iamd/api/apitest"
)

const bucketPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Home", "Effect": "Allow", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::data/${aws:username}/*",
     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
  ]
}`

func decisions(out *iam.SimulatePrincipalPolicyOutput) string {
	s := ""
	for _, r := range out.EvaluationResults {
		s += fmt.Sprintf("%s %s %s;", *r.EvalActionName, *r.EvalResourceName, r.EvalDecision)
	}
	return s
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	must[*iam.PutUserPolicyOutput](t)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("home"), PolicyDocument: aws.String(bucketPolicy)}))
	alice := "arn:aws:iam::" + d.AccountID + ":user/alice"
	ip := []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: types.ContextKeyTypeEnumIp,
		ContextKeyValues: []string{"10.1.2.3"}}}

	out := must[*iam.SimulatePrincipalPolicyOutput](t)(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(alice), ActionNames: []string{"s3:GetObject", "s3:PutObject"},
		ResourceArns: []string{"arn:aws:s3:::data/alice/x", "arn:aws:s3:::data/bob/x"}, ContextEntries: ip}))
	want := "s3:GetObject arn:aws:s3:::data/alice/x allowed;s3:GetObject arn:aws:s3:::data/bob/x implicitDeny;" +
		"s3:PutObject arn:aws:s3:::data/alice/x implicitDeny;s3:PutObject arn:aws:s3:::data/bob/x implicitDeny;"
	if got := decisions(out); got != want {
		t.Fatalf("decisions\n got %s\nwant %s", got, want)
	}
	m := out.EvaluationResults[0].MatchedStatements
	if len(m) != 1 || *m[0].SourcePolicyId != "home" || m[0].SourcePolicyType != types.PolicySourceTypeUser ||
		m[0].StartPosition.Line != 4 || m[0].StartPosition.Column != 5 || m[0].EndPosition.Line != 6 {
		t.Fatalf("matched %+v", m)
	}
	if len(out.EvaluationResults[0].ResourceSpecificResults) != 1 || len(out.EvaluationResults[0].MissingContextValues) != 0 {
		t.Fatalf("result %+v", out.EvaluationResults[0])
	}

	// Without aws:SourceIp the condition fails and the key is reported missing.
	out = must[*iam.SimulatePrincipalPolicyOutput](t)(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(alice), ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::data/alice/x"}}))
	r := out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || fmt.Sprint(r.MissingContextValues) != "[aws:SourceIp]" {
		t.Fatalf("without context: %+v", r)
	}

	// A group Deny is an explicitDeny naming the group policy.
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.AddUserToGroupOutput](t)(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("alice")}))
	must[*iam.PutGroupPolicyOutput](t)(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"),
		PolicyName: aws.String("deny-secret"), PolicyDocument: aws.String(deny("s3:*", "arn:aws:s3:::data/alice/secret"))}))
	out = must[*iam.SimulatePrincipalPolicyOutput](t)(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(alice), ActionNames: []string{"s3:GetObject"}, ContextEntries: ip,
		ResourceArns: []string{"arn:aws:s3:::data/alice/secret"}}))
	r = out.EvaluationResults[0]
	if r.EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny || len(r.MatchedStatements) != 1 ||
		*r.MatchedStatements[0].SourcePolicyId != "deny-secret" || r.MatchedStatements[0].SourcePolicyType != types.PolicySourceTypeGroup {
		t.Fatalf("group deny: %+v", r)
	}

	// A group as the policy source: only its own policies.
	out = must[*iam.SimulatePrincipalPolicyOutput](t)(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + d.AccountID + ":group/g"), ActionNames: []string{"s3:GetObject"}, ContextEntries: ip,
		ResourceArns: []string{"arn:aws:s3:::data/alice/x"}}))
	if out.EvaluationResults[0].EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Fatalf("group source: %+v", out.EvaluationResults[0])
	}

	// Pagination over (action, resource) pairs.
	var all []types.EvaluationResult
	p := iam.NewSimulatePrincipalPolicyPaginator(c, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(alice),
		ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"}}, func(o *iam.SimulatePrincipalPolicyPaginatorOptions) { o.Limit = 2 })
	for pages := 0; p.HasMorePages() && pages < 5; pages++ {
		page := must[*iam.SimulatePrincipalPolicyOutput](t)(p.NextPage(ctx))
		all = append(all, page.EvaluationResults...)
	}
	if len(all) != 3 || *all[2].EvalActionName != "s3:ListBucket" || *all[0].EvalResourceName != "*" || all[0].ResourceSpecificResults != nil {
		t.Fatalf("paginated %+v", all)
	}

	_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + d.AccountID + ":user/nobody"), ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, "NoSuchEntity")
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "SimulatePrincipalPolicy", "Version", "2010-05-08",
		"PolicySourceArn", alice)).wantError(t, 400, "ValidationError")
}

func TestSimulateCustomPolicy(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	out := must[*iam.SimulateCustomPolicyOutput](t)(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{allow("s3:*", "*"), deny("s3:DeleteObject", "*")},
		ActionNames:     []string{"s3:GetObject", "s3:DeleteObject"},
		ResourceArns:    []string{"arn:aws:s3:::b/k"}}))
	if out.EvaluationResults[0].EvalDecision != types.PolicyEvaluationDecisionTypeAllowed ||
		out.EvaluationResults[1].EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny ||
		*out.EvaluationResults[1].MatchedStatements[0].SourcePolicyId != "PolicyInputList.2" {
		t.Fatalf("%+v", out.EvaluationResults)
	}

	// Variables come from CallerArn; the permissions boundary intersects.
	out = must[*iam.SimulateCustomPolicyOutput](t)(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{allow("s3:*", "arn:aws:s3:::home/${aws:username}/*")},
		PermissionsBoundaryPolicyInputList: []string{allow("s3:GetObject", "*")},
		CallerArn:                          aws.String("arn:aws:iam::" + d.AccountID + ":user/alice"),
		ActionNames:                        []string{"s3:GetObject", "s3:PutObject"},
		ResourceArns:                       []string{"arn:aws:s3:::home/alice/f", "arn:aws:s3:::home/bob/f"}}))
	var got []string
	for _, r := range out.EvaluationResults {
		got = append(got, string(r.EvalDecision))
	}
	if fmt.Sprint(got) != "[allowed implicitDeny implicitDeny implicitDeny]" {
		t.Fatalf("decisions %v", got)
	}

	_, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2012-10-17"`},
		ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, "InvalidInput")
	_, err = c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow("s3:*", "*")},
		ActionNames: []string{"s3:GetObject"}, ResourcePolicy: aws.String(allow("s3:*", "*"))})
	wantCode(t, err, "InvalidInput")
	// The SDK refuses a missing PolicyInputList itself; the server too.
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "SimulateCustomPolicy", "Version", "2010-05-08",
		"ActionNames.member.1", "s3:GetObject")).wantError(t, 400, "ValidationError")
	_, err = c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow("s3:*", "*")},
		ActionNames: []string{"s3:GetObject"}, ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("s3:max-keys"),
			ContextKeyType: types.ContextKeyTypeEnumNumeric, ContextKeyValues: []string{"ten"}}}})
	wantCode(t, err, "InvalidInput")

	// Simulations need a permission like any other action.
	bob := clientForNewUser(t, d, "bob")
	_, err = bob.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{allow("s3:*", "*")},
		ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, "AccessDenied")
	must[*iam.AttachUserPolicyOutput](t)(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	must[*iam.SimulatePrincipalPolicyOutput](t)(bob.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + d.AccountID + ":user/alice"), ActionNames: []string{"s3:GetObject"}}))
}

// A role as the policy source: its inline and attached policies, what its
// sessions get before any session policy (PermissionsBoundary narrows it).
func TestSimulatePrincipalPolicyRole(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	role := must[*iam.CreateRoleOutput](t)(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Reader"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trustFor("arn:aws:iam::"+d.AccountID+":root", ""))})).Role
	must[*iam.PutRolePolicyOutput](t)(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Reader"),
		PolicyName: aws.String("read"), PolicyDocument: aws.String(allow("s3:GetObject", "arn:aws:s3:::data/*"))}))
	managed := must[*iam.CreatePolicyOutput](t)(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("no-delete"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data"},` +
			`{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)})).Policy
	must[*iam.AttachRolePolicyOutput](t)(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Reader"), PolicyArn: managed.Arn}))

	simulate := func(in *iam.SimulatePrincipalPolicyInput) *iam.SimulatePrincipalPolicyOutput {
		t.Helper()
		in.PolicySourceArn = role.Arn
		return must[*iam.SimulatePrincipalPolicyOutput](t)(c.SimulatePrincipalPolicy(ctx, in))
	}
	out := simulate(&iam.SimulatePrincipalPolicyInput{ActionNames: []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:DeleteObject"},
		ResourceArns: []string{"arn:aws:s3:::data/x"}})
	want := "s3:GetObject arn:aws:s3:::data/x allowed;s3:ListBucket arn:aws:s3:::data/x implicitDeny;" +
		"s3:PutObject arn:aws:s3:::data/x implicitDeny;s3:DeleteObject arn:aws:s3:::data/x explicitDeny;"
	if got := decisions(out); got != want {
		t.Fatalf("decisions\n got %s\nwant %s", got, want)
	}
	if m := out.EvaluationResults[0].MatchedStatements; len(m) != 1 || *m[0].SourcePolicyId != "read" || m[0].SourcePolicyType != types.PolicySourceTypeRole {
		t.Fatalf("inline match %+v", m)
	}
	if m := out.EvaluationResults[3].MatchedStatements; len(m) != 1 || *m[0].SourcePolicyId != "no-delete" || m[0].SourcePolicyType != types.PolicySourceTypeUserManaged {
		t.Fatalf("managed match %+v", m)
	}
	out = simulate(&iam.SimulatePrincipalPolicyInput{ActionNames: []string{"s3:ListBucket"}, ResourceArns: []string{"arn:aws:s3:::data"}})
	if out.EvaluationResults[0].EvalDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Fatalf("attached allow: %+v", out.EvaluationResults[0])
	}

	// A session policy carried as the boundary leaves only what both allow.
	out = simulate(&iam.SimulatePrincipalPolicyInput{ActionNames: []string{"s3:GetObject"},
		ResourceArns:                       []string{"arn:aws:s3:::data/x", "arn:aws:s3:::data/y"},
		PermissionsBoundaryPolicyInputList: []string{allow("s3:GetObject", "arn:aws:s3:::data/x")}})
	if got := decisions(out); got != "s3:GetObject arn:aws:s3:::data/x allowed;s3:GetObject arn:aws:s3:::data/y implicitDeny;" {
		t.Fatalf("with boundary: %s", got)
	}

	// The ARN must name the role exactly, path included.
	for _, arn := range []string{"arn:aws:iam::" + d.AccountID + ":role/nobody", "arn:aws:iam::" + d.AccountID + ":role/Reader"} {
		_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn), ActionNames: []string{"s3:GetObject"}})
		wantCode(t, err, "NoSuchEntity")
	}
}
