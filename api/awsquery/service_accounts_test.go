package awsquery_test

import (
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api/apitest"
)

func TestServiceAccounts(t *testing.T) {
	var skew atomic.Int64 // the node's clock runs this many seconds ahead
	d := apitest.StartDev(t, apitest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load()) * time.Second) }})
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Parent")}))
	post := func(kv ...string) rawResponse {
		return signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form(append([]string{"Version", "2010-05-08"}, kv...)...))
	}
	field := func(body, name string) string {
		m := regexp.MustCompile("<" + name + ">([^<]*)</" + name + ">").FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in %s", name, body)
		}
		return m[1]
	}

	r := post("Action", "CreateServiceAccount", "ParentUser", "parent", "Description", "backup job")
	if r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id, ak, sk := field(r.Body, "ServiceAccountId"), field(r.Body, "AccessKeyId"), field(r.Body, "SecretAccessKey")
	if !strings.HasPrefix(id, "sa:Parent:") || !strings.HasPrefix(ak, "ABIA") || len(sk) != 40 ||
		field(r.Body, "ParentUser") != "Parent" || field(r.Body, "Status") != "Active" || strings.Contains(r.Body, "<Expiration>") {
		t.Fatalf("created: %s", r.Body)
	}

	// The key acts as its parent, with the parent's policies.
	_, err := iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "AccessDenied")
	must[*iam.PutUserPolicyOutput](t)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("Parent"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)}))
	me := must[*iam.GetUserOutput](t)(iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{}))
	if *me.User.UserName != "Parent" {
		t.Fatalf("service account caller: %+v", me.User)
	}
	// It is not one of the parent's two access keys.
	keys := must[*iam.ListAccessKeysOutput](t)(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("Parent")}))
	if len(keys.AccessKeyMetadata) != 0 {
		t.Fatalf("service account key listed as an access key: %+v", keys.AccessKeyMetadata)
	}

	r = post("Action", "GetServiceAccount", "ServiceAccountId", id)
	if r.Status != 200 || strings.Contains(r.Body, "SecretAccessKey") || field(r.Body, "Description") != "backup job" {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	post("Action", "GetServiceAccount", "ServiceAccountId", "sa:Parent:00").wantError(t, 404, "NoSuchEntity")
	for _, args := range [][]string{{"ParentUser", "Parent"}, {}} {
		r = post(append([]string{"Action", "ListServiceAccounts"}, args...)...)
		if r.Status != 200 || strings.Count(r.Body, "<member>") != 1 || strings.Contains(r.Body, "SecretAccessKey") {
			t.Fatalf("list %v: %d %s", args, r.Status, r.Body)
		}
	}
	post("Action", "ListServiceAccounts", "ParentUser", "nobody").wantError(t, 404, "NoSuchEntity")

	// A user with a service account cannot be deleted.
	must[*iam.DeleteUserPolicyOutput](t)(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("Parent"), PolicyName: aws.String("self")}))
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("Parent")})
	wantCode(t, err, "DeleteConflict")

	// Disabled: the key fails; enabled again: it works.
	must[*iam.PutUserPolicyOutput](t)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("Parent"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)}))
	post("Action", "UpdateServiceAccount", "ServiceAccountId", id, "Status", "Inactive")
	_, err = iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
	post("Action", "UpdateServiceAccount", "ServiceAccountId", id, "Status", "Active")
	must[*iam.GetUserOutput](t)(iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{}))
	post("Action", "UpdateServiceAccount", "ServiceAccountId", id, "Status", "Paused").wantError(t, 400, "InvalidInput")

	// The parent's status applies to its service accounts.
	post("Action", "SetUserStatus", "UserName", "Parent", "Status", "Inactive")
	_, err = iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
	post("Action", "SetUserStatus", "UserName", "Parent", "Status", "Active")

	// Expiry: in the past refused; once passed, ExpiredToken.
	past := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	post("Action", "UpdateServiceAccount", "ServiceAccountId", id, "Expiration", past).wantError(t, 400, "InvalidInput")
	post("Action", "UpdateServiceAccount", "ServiceAccountId", id, "Expiration", "soon").wantError(t, 400, "InvalidInput")
	soon := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
	if r := post("Action", "UpdateServiceAccount", "ServiceAccountId", id, "Expiration", soon); r.Status != 200 {
		t.Fatalf("set expiration: %d %s", r.Status, r.Body)
	}
	if r := post("Action", "GetServiceAccount", "ServiceAccountId", id); field(r.Body, "Expiration") == "" {
		t.Fatalf("expiration not shown: %s", r.Body)
	}
	skew.Store(120)
	_, err = iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "ExpiredToken")
	skew.Store(0)
	post("Action", "UpdateServiceAccount", "ServiceAccountId", id, "Expiration", "") // clears
	skew.Store(120)
	must[*iam.GetUserOutput](t)(iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{}))
	skew.Store(0)

	post("Action", "CreateServiceAccount", "ParentUser", "nobody").wantError(t, 404, "NoSuchEntity")
	post("Action", "CreateServiceAccount", "ParentUser", "Parent", "Description", strings.Repeat("d", 1001)).wantError(t, 400, "InvalidInput")

	if r := post("Action", "DeleteServiceAccount", "ServiceAccountId", id); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	_, err = iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
	post("Action", "DeleteServiceAccount", "ServiceAccountId", id).wantError(t, 404, "NoSuchEntity")
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("Parent")})
	wantCode(t, err, "DeleteConflict") // the inline policy
	must[*iam.DeleteUserPolicyOutput](t)(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("Parent"), PolicyName: aws.String("self")}))
	must[*iam.DeleteUserOutput](t)(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("Parent")}))
}
