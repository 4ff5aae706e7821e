package awsquery_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"iamd/api/apitest"
)

// TestAuthorizationDetailsRoles: RoleDetailList holds every role with its
// trust policy (URL-encoded on the wire), inline and attached policies and
// tags; Filter=Role lists roles only; pages run users, groups, roles,
// then policies.
func TestAuthorizationDetailsRoles(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	trust := trustFor("arn:aws:iam::"+d.AccountID+":root", "")
	must[*iam.CreateRoleOutput](t)(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trust), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}))
	must[*iam.CreateRoleOutput](t)(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("auditor"), AssumeRolePolicyDocument: aws.String(trust)}))
	doc := allow("s3:GetObject", "arn:aws:s3:::a b+c/*")
	must[*iam.PutRolePolicyOutput](t)(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("deployer"),
		PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc)}))
	must[*iam.AttachRolePolicyOutput](t)(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("deployer"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("eng")}))

	out := must[*iam.GetAccountAuthorizationDetailsOutput](t)(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeRole}}))
	if len(out.RoleDetailList) != 2 || len(out.UserDetailList) != 0 || len(out.GroupDetailList) != 0 || len(out.Policies) != 0 {
		t.Fatalf("Filter=Role: %d roles, %d users, %d groups, %d policies", len(out.RoleDetailList), len(out.UserDetailList),
			len(out.GroupDetailList), len(out.Policies))
	}
	a, r := out.RoleDetailList[0], out.RoleDetailList[1]
	if *a.RoleName != "auditor" || len(a.RolePolicyList) != 0 || len(a.AttachedManagedPolicies) != 0 || len(a.Tags) != 0 {
		t.Fatalf("auditor %+v", a)
	}
	wantArn := "arn:aws:iam::" + d.AccountID + ":role/ci/deployer"
	if *r.RoleName != "deployer" || *r.Path != "/ci/" || *r.Arn != wantArn || !strings.HasPrefix(*r.RoleId, "AROA") ||
		r.CreateDate == nil || policyText(t, r.AssumeRolePolicyDocument) != trust {
		t.Fatalf("deployer %+v", r)
	}
	if len(r.RolePolicyList) != 1 || *r.RolePolicyList[0].PolicyName != "s3" || policyText(t, r.RolePolicyList[0].PolicyDocument) != doc {
		t.Fatalf("deployer inline policies %+v", r.RolePolicyList)
	}
	if len(r.AttachedManagedPolicies) != 1 || *r.AttachedManagedPolicies[0].PolicyName != "ReadOnlyAccess" {
		t.Fatalf("deployer attached policies %+v", r.AttachedManagedPolicies)
	}
	if len(r.Tags) != 1 || *r.Tags[0].Key != "team" || *r.Tags[0].Value != "ops" {
		t.Fatalf("deployer tags %+v", r.Tags)
	}
	// The trust policy is URL-encoded on the wire, as AWS sends it.
	raw := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "GetAccountAuthorizationDetails",
		"Version", "2010-05-08", "Filter.member.1", "Role"))
	if !strings.Contains(raw.Body, "<AssumeRolePolicyDocument>%7B") {
		t.Fatalf("trust policy not URL-encoded: %s", raw.Body)
	}

	// Unfiltered, one item per page: users, groups, roles, then policies.
	var order []string
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{},
		func(o *iam.GetAccountAuthorizationDetailsPaginatorOptions) { o.Limit = 1 })
	for pages := 0; p.HasMorePages() && pages < 10; pages++ {
		page := must[*iam.GetAccountAuthorizationDetailsOutput](t)(p.NextPage(ctx))
		for _, u := range page.UserDetailList {
			order = append(order, "user:"+*u.UserName)
		}
		for _, g := range page.GroupDetailList {
			order = append(order, "group:"+*g.GroupName)
		}
		for _, ro := range page.RoleDetailList {
			order = append(order, "role:"+*ro.RoleName)
		}
		for _, pol := range page.Policies {
			order = append(order, "policy:"+*pol.PolicyName)
		}
	}
	if got := strings.Join(order, ","); got != "user:alice,group:eng,role:auditor,role:deployer,policy:ReadOnlyAccess" {
		t.Fatalf("paged = %s", got)
	}
}
