package awsquery_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api/apitest"
)

// A user whose only permission is iam:GetUser on itself may read itself
// and nothing else.
func TestPolicyAllowsGetUserOnItselfOnly(t *testing.T) {
	d := apitest.StartDev(t)
	d.Node.SetIAMSelfService(false) // the policy, not self-service, must be what allows
	root := rootClient(d)
	alice := clientForNewUser(t, d, "alice")
	must[*iam.CreateUserOutput](t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))

	_, err := alice.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "AccessDenied")
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("self"), PolicyDocument: aws.String(allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}"))}))

	u := must[*iam.GetUserOutput](t)(alice.GetUser(ctx, &iam.GetUserInput{}))
	if *u.User.UserName != "alice" {
		t.Fatalf("GetUser = %+v", u.User)
	}
	must[*iam.GetUserOutput](t)(alice.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))
	_, err = alice.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	wantCode(t, err, "AccessDenied")
	_, err = alice.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
	want := "User: arn:aws:iam::" + d.AccountID + ":user/alice is not authorized to perform: iam:ListUsers on resource: "
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "because no identity-based policy allows the iam:ListUsers action") {
		t.Fatalf("message: %v", err)
	}
	// A denied caller cannot tell whether a group exists.
	_, err = alice.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("no-such-group")})
	wantCode(t, err, "AccessDenied")
}

// A Deny in a group's policy beats an Allow in the user's own policy.
func TestGroupDenyBeatsUserAllow(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	alice := clientForNewUser(t, d, "alice")
	must[*iam.AttachUserPolicyOutput](t)(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")}))
	must[*iam.CreateGroupOutput](t)(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}))
	must[*iam.AddUserToGroupOutput](t)(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("alice")}))

	must[*iam.CreateUserOutput](t)(alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("made-by-alice")}))
	must[*iam.PutGroupPolicyOutput](t)(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"),
		PolicyName: aws.String("no-writes"), PolicyDocument: aws.String(deny("iam:Create*", "*"))}))
	_, err := alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("second")})
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "with an explicit deny in an identity-based policy") {
		t.Fatal(err)
	}
	must[*iam.ListUsersOutput](t)(alice.ListUsers(ctx, &iam.ListUsersInput{}))

	// Disabling the group (SeaweedFS extension) drops its Deny.
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "UpdateGroup", "Version", "2010-05-08",
		"GroupName", "readers", "Disabled", "true"))
	must[*iam.CreateUserOutput](t)(alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("second")}))
}

// Managed policies act through their default version, group attachments
// included, from the next request on.
func TestManagedPolicyVersionsDecide(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	alice := clientForNewUser(t, d, "alice")
	arn := *must[*iam.CreatePolicyOutput](t)(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allow("iam:ListUsers", "*"))})).Policy.Arn
	must[*iam.CreateGroupOutput](t)(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.AddUserToGroupOutput](t)(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("alice")}))
	must[*iam.AttachGroupPolicyOutput](t)(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(arn)}))

	must[*iam.ListUsersOutput](t)(alice.ListUsers(ctx, &iam.ListUsersInput{}))
	_, err := alice.ListGroups(ctx, &iam.ListGroupsInput{})
	wantCode(t, err, "AccessDenied")
	must[*iam.CreatePolicyVersionOutput](t)(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn),
		PolicyDocument: aws.String(allow("iam:ListGroups", "*")), SetAsDefault: true}))
	must[*iam.ListGroupsOutput](t)(alice.ListGroups(ctx, &iam.ListGroupsInput{}))
	_, err = alice.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
	must[*iam.RemoveUserFromGroupOutput](t)(root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("g"), UserName: aws.String("alice")}))
	_, err = alice.ListGroups(ctx, &iam.ListGroupsInput{})
	wantCode(t, err, "AccessDenied")
}

// Self-service (SeaweedFS): a user with no policy reads itself and
// manages its own keys, and nothing else.
func TestSelfServiceWithoutPolicy(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	alice := clientForNewUser(t, d, "alice")
	must[*iam.CreateUserOutput](t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	must[*iam.GetUserOutput](t)(alice.GetUser(ctx, &iam.GetUserInput{}))
	keys := must[*iam.ListAccessKeysOutput](t)(alice.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("keys %+v", keys.AccessKeyMetadata)
	}
	k := must[*iam.CreateAccessKeyOutput](t)(alice.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{}))
	must[*iam.DeleteAccessKeyOutput](t)(alice.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: k.AccessKey.AccessKeyId}))
	_, err := alice.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	wantCode(t, err, "AccessDenied")
	_, err = alice.ListGroups(ctx, &iam.ListGroupsInput{})
	wantCode(t, err, "AccessDenied")
	_, err = alice.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("escalate"),
		PolicyDocument: aws.String(allow("*", "*"))})
	wantCode(t, err, "AccessDenied")
	_, err = alice.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantCode(t, err, "AccessDenied")

	// An explicit Deny overrides self-service.
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("no-keys"), PolicyDocument: aws.String(deny("iam:CreateAccessKey", "*"))}))
	_, err = alice.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantCode(t, err, "AccessDenied")
}

// iam:PolicyARN narrows which policies a delegated admin may attach.
func TestAttachConditionOnPolicyArn(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	alice := clientForNewUser(t, d, "alice")
	must[*iam.CreateUserOutput](t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("delegate"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*",
		 "Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/IAMReadOnlyAccess"}}}]}`)}))
	must[*iam.AttachUserPolicyOutput](t)(alice.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	_, err := alice.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantCode(t, err, "AccessDenied")
}
