package awsquery_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"iamd/api/apitest"
)

// Session tags need sts:TagSession in the trust policy and a source
// identity sts:SetSourceIdentity; the tags are then aws:PrincipalTag in
// the session, and transitive ones pass on along a role chain, where they
// cannot be set again.
func TestAssumeRoleSessionTags(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	acct := d.AccountID
	carolAK, carolSK := userKey(t, d, "carol")
	carol := stsClient(d, carolAK, carolSK, "")
	carolArn := "arn:aws:iam::" + acct + ":user/carol"
	trust := func(principal string, actions string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal +
			`"},"Action":` + actions + `}]}`
	}
	const adminOnly = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"admin"}}},
		{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	mkRole := func(name, trustDoc string) string {
		t.Helper()
		r := must[*iam.CreateRoleOutput](t)(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustDoc)}))
		must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(adminOnly)}))
		return *r.Role.Arn
	}
	first := mkRole("first", trust(carolArn, `"sts:AssumeRole"`))
	adminTag := []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("admin")}}

	_, err := carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("s1"), Tags: adminTag})
	wantCode(t, err, "AccessDenied")
	_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("carol")})
	wantCode(t, err, "AccessDenied")

	must[*iam.UpdateAssumeRolePolicyOutput](t)(root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("first"),
		PolicyDocument: aws.String(trust(carolArn, `["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`))}))
	_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("s1"), Tags: adminTag,
		TransitiveTagKeys: []string{"other"}})
	wantCode(t, err, "ValidationError")

	untagged := must[*sts.AssumeRoleOutput](t)(carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("plain")}))
	_, err = sessionIAM(d, untagged.Credentials).ListRoles(ctx, &iam.ListRolesInput{})
	wantCode(t, err, "AccessDenied")
	tagged := must[*sts.AssumeRoleOutput](t)(carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("tagged"),
		Tags: adminTag, TransitiveTagKeys: []string{"team"}, SourceIdentity: aws.String("carol")}))
	if aws.ToString(tagged.SourceIdentity) != "carol" {
		t.Fatalf("SourceIdentity %q", aws.ToString(tagged.SourceIdentity))
	}
	must[*iam.ListRolesOutput](t)(sessionIAM(d, tagged.Credentials).ListRoles(ctx, &iam.ListRolesInput{}))

	// Along a chain the transitive tag comes with the session, and may not
	// be set again.
	second := mkRole("second", trust(first, `["sts:AssumeRole","sts:TagSession"]`))
	chain := sessionSTS(d, tagged.Credentials)
	chained := must[*sts.AssumeRoleOutput](t)(chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("hop")}))
	must[*iam.ListRolesOutput](t)(sessionIAM(d, chained.Credentials).ListRoles(ctx, &iam.ListRolesInput{}))
	_, err = chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("hop2"),
		Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("admin")}}})
	wantCode(t, err, "ValidationError")
	// A tag that is not transitive stays in its session.
	notTransitive := must[*sts.AssumeRoleOutput](t)(carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("nt"), Tags: adminTag}))
	hop := must[*sts.AssumeRoleOutput](t)(sessionSTS(d, notTransitive.Credentials).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("hop3")}))
	_, err = sessionIAM(d, hop.Credentials).ListRoles(ctx, &iam.ListRolesInput{})
	wantCode(t, err, "AccessDenied")
}
