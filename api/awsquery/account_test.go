package awsquery_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"iamd/api/apitest"
)

func TestGetAccountSummary(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	for _, u := range []string{"a", "b"} {
		must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))
	}
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	arn := *must[*iam.CreatePolicyOutput](t)(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allow("s3:*", "*"))})).Policy.Arn
	must[*iam.CreatePolicyVersionOutput](t)(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn),
		PolicyDocument: aws.String(allow("s3:Get*", "*"))}))
	out := must[*iam.GetAccountSummaryOutput](t)(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
	m := out.SummaryMap
	want := map[types.SummaryKeyType]int32{"Users": 2, "Groups": 1, "Policies": 1, "PolicyVersionsInUse": 2,
		"UsersQuota": 5000, "AccessKeysPerUserQuota": 2, "AttachedPoliciesPerUserQuota": 10, "GroupsPerUserQuota": 10,
		"PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "VersionsPerPolicyQuota": 5,
		"AccountAccessKeysPresent": 1, "Roles": 0}
	for k, v := range want {
		if got, ok := m[string(k)]; !ok || got != v {
			t.Errorf("%s = %d (present %v), want %d", k, got, ok, v)
		}
	}
	// A user without permission is refused.
	u := clientForNewUser(t, d, "reader")
	_, err := u.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	wantCode(t, err, "AccessDenied")
}

func TestGetAccountAuthorizationDetails(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("eng")}}}))
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("eng")}))
	must[*iam.AddUserToGroupOutput](t)(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("eng"), UserName: aws.String("alice")}))
	doc := allow("s3:GetObject", "arn:aws:s3:::a b+c/*")
	must[*iam.PutUserPolicyOutput](t)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc)}))
	must[*iam.PutGroupPolicyOutput](t)(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("eng"), PolicyName: aws.String("gp"), PolicyDocument: aws.String(doc)}))
	arn := *must[*iam.CreatePolicyOutput](t)(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"),
		PolicyDocument: aws.String(allow("iam:List*", "*"))})).Policy.Arn
	must[*iam.AttachUserPolicyOutput](t)(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)}))
	must[*iam.AttachGroupPolicyOutput](t)(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("eng"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))

	out := must[*iam.GetAccountAuthorizationDetailsOutput](t)(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}))
	if len(out.UserDetailList) != 2 || len(out.GroupDetailList) != 1 || len(out.Policies) != 2 || out.IsTruncated {
		t.Fatalf("details: %d users, %d groups, %d policies", len(out.UserDetailList), len(out.GroupDetailList), len(out.Policies))
	}
	a := out.UserDetailList[0]
	if *a.UserName != "alice" || fmt.Sprint(a.GroupList) != "[eng]" || len(a.UserPolicyList) != 1 ||
		policyText(t, a.UserPolicyList[0].PolicyDocument) != doc || len(a.AttachedManagedPolicies) != 1 ||
		*a.AttachedManagedPolicies[0].PolicyArn != arn || len(a.Tags) != 1 {
		t.Fatalf("alice %+v", a)
	}
	g := out.GroupDetailList[0]
	if *g.GroupName != "eng" || len(g.GroupPolicyList) != 1 || *g.AttachedManagedPolicies[0].PolicyName != "ReadOnlyAccess" {
		t.Fatalf("group %+v", g)
	}
	for _, p := range out.Policies {
		if len(p.PolicyVersionList) != 1 || !p.PolicyVersionList[0].IsDefaultVersion || policyText(t, p.PolicyVersionList[0].Document) == "" {
			t.Fatalf("policy %+v", p)
		}
	}

	// Filter and pagination.
	var names []string
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeUser, types.EntityTypeLocalManagedPolicy}},
		func(o *iam.GetAccountAuthorizationDetailsPaginatorOptions) { o.Limit = 1 })
	for pages := 0; p.HasMorePages() && pages < 10; pages++ {
		page := must[*iam.GetAccountAuthorizationDetailsOutput](t)(p.NextPage(ctx))
		for _, u := range page.UserDetailList {
			names = append(names, "user:"+*u.UserName)
		}
		for _, pol := range page.Policies {
			names = append(names, "policy:"+*pol.PolicyName)
		}
		if len(page.GroupDetailList) != 0 {
			t.Fatal("groups not filtered out")
		}
	}
	if got := strings.Join(names, ","); got != "user:alice,user:bob,policy:mine" {
		t.Fatalf("paged = %s", got)
	}
}
