package awsquery_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"iamd/api/apitest"
)

// A trust policy names users and roles as AWS stores them, by unique ID:
// one that does not exist is refused, and a user deleted and created
// again under the same name is not trusted.
func TestTrustPolicyPrincipalsAreUniqueIDs(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	userArn := "arn:aws:iam::" + d.AccountID + ":user/tmpu"

	_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(trustFor(userArn, ""))})
	wantCode(t, err, "MalformedPolicyDocument")
	if !strings.Contains(err.Error(), `Invalid principal in policy: "AWS":"`+userArn+`"`) {
		t.Fatalf("message: %v", err)
	}

	ak, sk := userKey(t, d, "tmpu")
	must[*iam.CreateRoleOutput](t)(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(trustFor(userArn, ""))}))
	assume := func(ak, sk string) error {
		_, err := stsClient(d, ak, sk, "").AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + d.AccountID + ":role/r"), RoleSessionName: aws.String("sess")})
		return err
	}
	if err := assume(ak, sk); err != nil {
		t.Fatalf("the trusted user: %v", err)
	}

	must[*iam.DeleteAccessKeyOutput](t)(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("tmpu"), AccessKeyId: aws.String(ak)}))
	must[*iam.DeleteUserOutput](t)(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("tmpu")}))
	ak2, sk2 := userKey(t, d, "tmpu")
	wantCode(t, assume(ak2, sk2), "AccessDenied")

	// Writing the policy again trusts the user who has the name now.
	must[*iam.UpdateAssumeRolePolicyOutput](t)(root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String("r"), PolicyDocument: aws.String(trustFor(userArn, ""))}))
	if err := assume(ak2, sk2); err != nil {
		t.Fatalf("after the policy was written again: %v", err)
	}
	_, err = root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"),
		PolicyDocument: aws.String(trustFor("arn:aws:iam::"+d.AccountID+":role/missing", ""))})
	wantCode(t, err, "MalformedPolicyDocument")
}

// A role description follows roleDescriptionType's pattern (a policy's has
// none): control characters and characters past U+00FF are refused rather
// than stored and returned altered.
func TestRoleDescriptionPattern(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	trust := trustFor("arn:aws:iam::"+d.AccountID+":root", "")
	_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust), Description: aws.String("中")})
	wantCode(t, err, "ValidationError")
	must[*iam.CreateRoleOutput](t)(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String("café\tbar")}))
	_, err = root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("r"), Description: aws.String("\x01ctl")})
	wantCode(t, err, "ValidationError")
	got := must[*iam.GetRoleOutput](t)(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))
	if aws.ToString(got.Role.Description) != "café\tbar" {
		t.Fatalf("description %q", aws.ToString(got.Role.Description))
	}
}
