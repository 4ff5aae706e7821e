package awsquery_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const mfaPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
 {"Effect":"Deny","Action":"iam:ListGroups","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},
 {"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}]}`

func TestGetSessionTokenAndMFAConditions(t *testing.T) {
	d, clock := startWithClock(t)
	root := rootClient(d)
	ak, sk := userKey(t, d, "bob")
	bob := iamClient(d, ak, sk)
	bobSTS := stsClient(d, ak, sk, "")
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"),
		PolicyName: aws.String("mfa"), PolicyDocument: aws.String(mfaPolicy)}))

	id := must[*sts.GetCallerIdentityOutput](t)(bobSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *id.Arn != "arn:aws:iam::"+d.AccountID+":user/bob" || *id.Account != d.AccountID || !strings.HasPrefix(*id.UserId, "AIDA") {
		t.Fatalf("caller identity %+v", id)
	}
	// Long-term keys carry no MFA key: Bool true fails, BoolIfExists false
	// matches, so both actions are refused.
	_, err := bob.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
	_, err = bob.ListGroups(ctx, &iam.ListGroupsInput{})
	wantCode(t, err, "AccessDenied")

	// A session without MFA: ASIA credentials that sign STS calls but may
	// not call IAM at all.
	plain := must[*sts.GetSessionTokenOutput](t)(bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{}))
	c := plain.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || len(*c.AccessKeyId) != 20 || len(*c.SecretAccessKey) != 40 || *c.SessionToken == "" {
		t.Fatalf("credentials %+v", c)
	}
	if exp := time.Until(*c.Expiration); exp < 11*time.Hour || exp > 13*time.Hour {
		t.Fatalf("default duration: expires in %v", exp)
	}
	sid := must[*sts.GetCallerIdentityOutput](t)(sessionSTS(d, c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *sid.Arn != *id.Arn {
		t.Fatalf("session identity %s", *sid.Arn)
	}
	_, err = sessionIAM(d, c).ListGroups(ctx, &iam.ListGroupsInput{})
	wantCode(t, err, "AccessDenied")
	_, err = sessionSTS(d, c).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantCode(t, err, "AccessDenied")

	// Enrol (self-service), then a session made with a code.
	serial, seed := enrol(t, bob, clock, "bob", "bob")
	clock.Advance(time.Minute)
	code := codeAt(t, seed, clock.Now())
	_, err = bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(wrong(code))})
	wantCode(t, err, "AccessDenied")
	_, err = bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial)})
	wantCode(t, err, "ValidationError")
	withMFA := must[*sts.GetSessionTokenOutput](t)(bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{
		SerialNumber: aws.String(serial), TokenCode: aws.String(code), DurationSeconds: aws.Int32(900)}))
	_, err = bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	wantCode(t, err, "AccessDenied") // the code is spent
	mfaIAM := sessionIAM(d, withMFA.Credentials)
	must[*iam.ListUsersOutput](t)(mfaIAM.ListUsers(ctx, &iam.ListUsersInput{}))
	must[*iam.ListGroupsOutput](t)(mfaIAM.ListGroups(ctx, &iam.ListGroupsInput{}))
	_, err = mfaIAM.ListRoles(ctx, &iam.ListRolesInput{})
	wantCode(t, err, "AccessDenied") // the user's own policies still decide

	// Someone else's serial; durations out of range.
	_, err = stsClient(d, d.AccessKey, d.SecretKey, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{
		SerialNumber: aws.String(serial), TokenCode: aws.String(codeAt(t, seed, clock.Now().Add(30*time.Second)))})
	wantCode(t, err, "AccessDenied")
	for _, secs := range []int32{899, 129601} {
		_, err = bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(secs)})
		wantCode(t, err, "ValidationError")
	}

	// Expiry: the 900 s session fails once the node's clock passes it.
	creds := awsCreds(withMFA.Credentials)
	if r := signedSessionPost(t, d, creds, "sts", clock.Now(), callerIdentityForm); r.Status != 200 {
		t.Fatalf("before expiry: %d %s", r.Status, r.Body)
	}
	clock.Advance(901 * time.Second)
	r := signedSessionPost(t, d, creds, "sts", clock.Now(), callerIdentityForm)
	r.wantError(t, 403, "ExpiredToken")
	if !strings.Contains(r.Body, `xmlns="https://sts.amazonaws.com/doc/2011-06-15/"`) {
		t.Fatalf("STS error without the STS namespace: %s", r.Body)
	}
}

func TestSessionTokenTampering(t *testing.T) {
	d, clock := startWithClock(t)
	ak, sk := userKey(t, d, "carl")
	out := must[*sts.GetSessionTokenOutput](t)(stsClient(d, ak, sk, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{}))
	creds := awsCreds(out.Credentials)

	other := creds
	other.SessionToken = creds.SessionToken[:len(creds.SessionToken)-8] + "AAAAAAA="
	signedSessionPost(t, d, other, "sts", clock.Now(), callerIdentityForm).wantError(t, 403, "InvalidClientTokenId")
	// Another session's token with this key ID and secret.
	out2 := must[*sts.GetSessionTokenOutput](t)(stsClient(d, ak, sk, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{}))
	other.SessionToken = *out2.Credentials.SessionToken
	signedSessionPost(t, d, other, "sts", clock.Now(), callerIdentityForm).wantError(t, 403, "InvalidClientTokenId")
	// Without the token.
	other.SessionToken = ""
	signedSessionPost(t, d, other, "sts", clock.Now(), callerIdentityForm).wantError(t, 403, "InvalidClientTokenId")
	// A long-term key with a token.
	bad := aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk, SessionToken: creds.SessionToken}
	signedSessionPost(t, d, bad, "sts", clock.Now(), callerIdentityForm).wantError(t, 403, "InvalidClientTokenId")
	// Wrong secret.
	other = creds
	other.SecretAccessKey = sk
	signedSessionPost(t, d, other, "sts", clock.Now(), callerIdentityForm).wantError(t, 403, "SignatureDoesNotMatch")

	// Deactivating the user ends its sessions; reactivating revives them
	// (nothing was deleted), while RevokeSessions ends them for good.
	if r := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "SetUserStatus", "UserName", "carl", "Status", "Inactive")); r.Status != 200 {
		t.Fatal(r.Body)
	}
	signedSessionPost(t, d, creds, "sts", clock.Now(), callerIdentityForm).wantError(t, 403, "InvalidClientTokenId")
	if r := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "SetUserStatus", "UserName", "carl", "Status", "Active")); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if r := signedSessionPost(t, d, creds, "sts", clock.Now(), callerIdentityForm); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if r := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "RevokeSessions", "Version", "2010-05-08", "UserName", "carl")); r.Status != 200 {
		t.Fatal(r.Body)
	}
	signedSessionPost(t, d, creds, "sts", clock.Now(), callerIdentityForm).wantError(t, 403, "InvalidClientTokenId")
	fresh := must[*sts.GetSessionTokenOutput](t)(stsClient(d, ak, sk, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{}))
	must[*sts.GetCallerIdentityOutput](t)(sessionSTS(d, fresh.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
}

func TestCreateTemporaryAccessCredentials(t *testing.T) {
	d, clock := startWithClock(t)
	ak, sk := userKey(t, d, "wendy")
	call := func(kv ...string) rawResponse {
		return signedPost(t, d, ak, sk, "iam", timeZero, form(append([]string{"Action", "CreateTemporaryAccessCredentials", "SessionName", "console"}, kv...)...))
	}
	if r := call("DurationSeconds", "900"); r.Status != 200 || !strings.Contains(r.Body, "<AccessKeyId>ASIA") || !strings.Contains(r.Body, "<Expires>") {
		t.Fatalf("without a device: %d %s", r.Status, r.Body)
	}
	call("Password", "hunter2").wantError(t, 400, "InvalidInput")
	call("expires", "200000").wantError(t, 400, "ValidationError")

	_, seed := enrol(t, iamClient(d, ak, sk), clock, "wendy", "wendy")
	call().wantError(t, 403, "AccessDenied")
	clock.Advance(time.Minute)
	code := codeAt(t, seed, clock.Now())
	call("mfa_token", wrong(code)).wantError(t, 403, "AccessDenied")
	if r := call("mfa_token", code); r.Status != 200 || !strings.Contains(r.Body, "<SessionToken>") {
		t.Fatalf("with a code: %d %s", r.Status, r.Body)
	}
	call("mfa_token", code).wantError(t, 403, "AccessDenied") // spent

	// A password in the URL is refused before anything else is read.
	req := mustReq(t, "POST", d.URL+"/?Password=hunter2")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body := "Action=CreateTemporaryAccessCredentials"
	req.Body = io.NopCloser(strings.NewReader(body))
	sign(t, req, body, aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, time.Now())
	do(t, req).wantError(t, 400, "InvalidQueryParameter")
}
