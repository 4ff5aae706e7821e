package awsquery_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"iamd/api/apitest"
)

var (
	s3AKPattern     = regexp.MustCompile(`^S4AK[A-Z0-9]{20}$`)
	s3SecretPattern = regexp.MustCompile(`^[A-Za-z0-9]{40}$`)
)

// xmlField returns the text of the first <name> element of body.
func xmlField(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile("<" + name + ">([^<]*)</" + name + ">").FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in %s", name, body)
	}
	return m[1]
}

// issueS3Credential calls CreateS3Credential as root and returns the key
// and its secret.
func issueS3Credential(t *testing.T, d *apitest.Dev, kv ...string) (string, string) {
	t.Helper()
	r := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form(append([]string{"Action", "CreateS3Credential"}, kv...)...))
	if r.Status != 200 {
		t.Fatalf("CreateS3Credential: %d %s", r.Status, r.Body)
	}
	ak, sk := xmlField(t, r.Body, "AccessKeyId"), xmlField(t, r.Body, "SecretAccessKey")
	if !s3AKPattern.MatchString(ak) || !s3SecretPattern.MatchString(sk) {
		t.Fatalf("credential shape: %q %q", ak, sk)
	}
	return ak, sk
}

func TestS3CredentialReaderSignsAndSimulates(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("reader")}))
	ak, sk := issueS3Credential(t, d, "UserName", "reader", "Role", "reader")

	// The role is an ordinary attached managed policy; the credential is
	// not one of the user's two IAM keys.
	att := must[*iam.ListAttachedUserPoliciesOutput](t)(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("reader")}))
	if len(att.AttachedPolicies) != 1 || *att.AttachedPolicies[0].PolicyArn != "arn:aws:iam::aws:policy/S3Reader" {
		t.Fatalf("attached: %+v", att.AttachedPolicies)
	}
	keys := must[*iam.ListAccessKeysOutput](t)(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("reader")}))
	if len(keys.AccessKeyMetadata) != 0 {
		t.Fatalf("S3 credential listed as an IAM key: %+v", keys.AccessKeyMetadata)
	}

	rc := iamClient(d, ak, sk)
	me := must[*iam.GetUserOutput](t)(rc.GetUser(ctx, &iam.GetUserInput{}))
	if *me.User.UserName != "reader" {
		t.Fatalf("GetUser: %+v", me.User)
	}
	arn := "arn:aws:iam::" + d.AccountID + ":user/reader"
	out := must[*iam.SimulatePrincipalPolicyOutput](t)(rc.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(arn), ActionNames: []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:DeleteObject"},
		ResourceArns: []string{"arn:aws:s3:::data/x"}}))
	want := "s3:GetObject arn:aws:s3:::data/x allowed;s3:ListBucket arn:aws:s3:::data/x allowed;" +
		"s3:PutObject arn:aws:s3:::data/x implicitDeny;s3:DeleteObject arn:aws:s3:::data/x implicitDeny;"
	if got := decisions(out); got != want {
		t.Fatalf("decisions\n got %s\nwant %s", got, want)
	}

	// The credential never does more than its role: with IAMFullAccess on
	// the user it still may not list users or make itself an IAM key or a
	// session (which would carry the user's other policies).
	must[*iam.AttachUserPolicyOutput](t)(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")}))
	_, err := rc.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
	_, err = rc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantCode(t, err, "AccessDenied")
	signedPost(t, d, ak, sk, "sts", timeZero, form("Action", "GetSessionToken", "Version", "2011-06-15")).wantError(t, 403, "AccessDenied")

	// Another user may not simulate through it; a Writer sees put allowed.
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("writer")}))
	wak, wsk := issueS3Credential(t, d, "UserName", "writer", "Role", "Writer")
	_, err = rc.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + d.AccountID + ":user/writer"),
		ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, "AccessDenied")
	out = must[*iam.SimulatePrincipalPolicyOutput](t)(iamClient(d, wak, wsk).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + d.AccountID + ":user/writer"), ActionNames: []string{"s3:PutObject", "s3:PutBucketPolicy"},
		ResourceArns: []string{"arn:aws:s3:::data/x"}}))
	if out.EvaluationResults[0].EvalDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Fatalf("writer put: %s", decisions(out))
	}

	// Bad input.
	post := func(kv ...string) rawResponse {
		return signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form(kv...))
	}
	post("Action", "CreateS3Credential", "UserName", "reader", "Role", "Owner").wantError(t, 400, "InvalidInput")
	post("Action", "CreateS3Credential", "UserName", "nobody", "Role", "Reader").wantError(t, 404, "NoSuchEntity")
	post("Action", "CreateS3Credential").wantError(t, 400, "ValidationError")
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("norole")}))
	post("Action", "CreateS3Credential", "UserName", "norole").wantError(t, 400, "InvalidInput")
	// A user with only its own key may not issue credentials for itself.
	_, err = rc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantCode(t, err, "AccessDenied")
}

func TestS3CredentialRotationRevocationAndDeactivation(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	post := func(kv ...string) rawResponse {
		t.Helper()
		return signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form(kv...))
	}
	works := func(ak, sk string) {
		t.Helper()
		must[*iam.GetUserOutput](t)(iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{}))
	}
	fails := func(ak, sk string) {
		t.Helper()
		_, err := iamClient(d, ak, sk).GetUser(ctx, &iam.GetUserInput{})
		wantCode(t, err, "InvalidClientTokenId")
	}
	oldAK, oldSK := issueS3Credential(t, d, "UserName", "alice", "Role", "Reader")
	// Rotation with overlap: the new credential (the user's role, no Role
	// given) and the old both sign until the old is deleted.
	newAK, newSK := issueS3Credential(t, d, "UserName", "alice")
	works(oldAK, oldSK)
	works(newAK, newSK)
	list := post("Action", "ListS3Credentials", "UserName", "alice")
	if list.Status != 200 || strings.Count(list.Body, "<member>") != 2 || strings.Contains(list.Body, "SecretAccessKey") ||
		strings.Count(list.Body, "<Role>Reader</Role>") != 2 {
		t.Fatalf("ListS3Credentials: %d %s", list.Status, list.Body)
	}
	// The old secret does not sign for the new key, nor the reverse (S4's
	// rotation defect, spec §3.5 #3).
	for _, pair := range [][2]string{{oldAK, newSK}, {newAK, oldSK}} {
		_, err := iamClient(d, pair[0], pair[1]).GetUser(ctx, &iam.GetUserInput{})
		wantCode(t, err, "SignatureDoesNotMatch")
	}
	if r := post("Action", "DeleteS3Credential", "UserName", "alice", "AccessKeyId", oldAK); r.Status != 200 {
		t.Fatalf("DeleteS3Credential: %d %s", r.Status, r.Body)
	}
	fails(oldAK, oldSK) // revoked: fails right after the delete
	works(newAK, newSK)
	post("Action", "DeleteS3Credential", "UserName", "alice", "AccessKeyId", oldAK).wantError(t, 404, "NoSuchEntity")
	// An S3 credential is not an IAM key: DeleteAccessKey does not find it.
	_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(newAK)})
	wantCode(t, err, "NoSuchEntity")

	// Inactive, then active again.
	post("Action", "UpdateS3Credential", "UserName", "alice", "AccessKeyId", newAK, "Status", "Inactive")
	fails(newAK, newSK)
	post("Action", "UpdateS3Credential", "UserName", "alice", "AccessKeyId", newAK, "Status", "Active")
	works(newAK, newSK)

	// Deactivating the user blocks every credential; reactivating restores.
	post("Action", "SetUserStatus", "UserName", "alice", "Status", "Inactive")
	fails(newAK, newSK)
	post("Action", "SetUserStatus", "UserName", "alice", "Status", "Active")
	works(newAK, newSK)

	// The quota (5) is separate from the two IAM keys.
	must[*iam.CreateAccessKeyOutput](t)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	must[*iam.CreateAccessKeyOutput](t)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	var secrets []string
	for i := 0; i < 4; i++ {
		_, sk := issueS3Credential(t, d, "UserName", "alice")
		secrets = append(secrets, sk)
	}
	post("Action", "CreateS3Credential", "UserName", "alice").wantError(t, 409, "LimitExceeded")

	// Secrets are nowhere in the state in clear; the key IDs are.
	var snap bytes.Buffer
	if err := d.Node.FSM().WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	for _, secret := range append(secrets, oldSK, newSK) {
		if bytes.Contains(snap.Bytes(), []byte(secret)) {
			t.Fatal("an S3 credential secret is in the snapshot in clear")
		}
	}
	if !bytes.Contains(snap.Bytes(), []byte(newAK)) {
		t.Fatal("snapshot does not hold the credential at all: the scan proves nothing")
	}
}
