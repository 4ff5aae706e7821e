package awsquery_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api/apitest"
	"iamd/fsm"
)

func TestSignatureFailures(t *testing.T) {
	d := apitest.StartDev(t)
	_, err := iamClient(d, d.AccessKey, "not-the-secret").ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	_, err = iamClient(d, "AKIAUNKNOWNKEY000000", d.SecretKey).ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId")

	list := form("Action", "ListUsers", "Version", "2010-05-08")
	// Header form: ±15 minutes, with AWS's messages.
	r := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", time.Now().Add(-20*time.Minute), list)
	r.wantError(t, 403, "SignatureDoesNotMatch")
	if !strings.Contains(r.Body, "Signature expired") || r.Header.Get("Date") == "" {
		t.Fatalf("skewed request: %s %v", r.Body, r.Header)
	}
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", time.Now().Add(20*time.Minute), list).wantError(t, 403, "SignatureDoesNotMatch")
	if r := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", time.Now().Add(-10*time.Minute), list); r.Status != 200 {
		t.Fatalf("10 minutes of skew refused: %d %s", r.Status, r.Body)
	}
	// An STS-scoped signature does not act on IAM.
	signedPost(t, d, d.AccessKey, d.SecretKey, "sts", timeZero, list).wantError(t, 403, "SignatureDoesNotMatch")

	// A session token with a long-term key is refused.
	req, _ := http.NewRequest(http.MethodPost, d.URL+"/", strings.NewReader(list.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sign(t, req, list.Encode(), aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey, SessionToken: "tok"}, time.Now())
	do(t, req).wantError(t, 403, "InvalidClientTokenId")

	// The body the signature covers is the body read: a changed body fails.
	req, _ = http.NewRequest(http.MethodPost, d.URL+"/", strings.NewReader("Action=ListUsers&Version=2010-05-08&MaxItems=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sign(t, req, list.Encode(), aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}, time.Now())
	do(t, req).wantError(t, 403, "SignatureDoesNotMatch")
}

func sign(_ testing.TB, req *http.Request, body string, creds aws.Credentials, at time.Time) {
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", at); err != nil {
		panic(err)
	}
}

// presign returns a presigned URL for method with every parameter in the
// query, signed at `at` with X-Amz-Expires (when expires > 0).
func presign(t *testing.T, d *apitest.Dev, method string, at time.Time, expires int, kv ...string) string {
	t.Helper()
	q := form(kv...)
	if expires > 0 {
		q.Set("X-Amz-Expires", strconv.Itoa(expires))
	}
	req, _ := http.NewRequest(method, d.URL+"/?"+q.Encode(), nil)
	empty := sha256.Sum256(nil)
	u, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey},
		req, hex.EncodeToString(empty[:]), "iam", "eu-west-3", at)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPresigned(t *testing.T) {
	d := apitest.StartDev(t)
	get := presign(t, d, http.MethodGet, time.Now(), 0, "Action", "GetUser", "Version", "2010-05-08")
	r := do(t, mustReq(t, http.MethodGet, get))
	if r.Status != 200 || !strings.Contains(r.Body, ":root</Arn>") {
		t.Fatalf("presigned GET: %d %s", r.Status, r.Body)
	}
	// botocore's presigned POST: empty body, everything in the query.
	post := presign(t, d, http.MethodPost, time.Now(), 300, "Action", "ListUsers", "Version", "2010-05-08")
	if r := do(t, mustReq(t, http.MethodPost, post)); r.Status != 200 || !strings.Contains(r.Body, "<ListUsersResult>") {
		t.Fatalf("presigned POST: %d %s", r.Status, r.Body)
	}
	// Expired: signed 20 minutes ago for 60 seconds.
	old := presign(t, d, http.MethodGet, time.Now().Add(-20*time.Minute), 60, "Action", "GetUser", "Version", "2010-05-08")
	do(t, mustReq(t, http.MethodGet, old)).wantError(t, 400, "RequestExpired")
	// Tampered: another action under the same signature.
	bad := strings.Replace(get, "Action=GetUser", "Action=ListUsers", 1)
	do(t, mustReq(t, http.MethodGet, bad)).wantError(t, 403, "SignatureDoesNotMatch")
}

// A good signature resets a key's count of failed ones: failures lock the
// key only when they come in a row (fsm.SigFailuresPerStep).
func TestGoodSignatureResetsFailures(t *testing.T) {
	d := apitest.StartDev(t)
	list := form("Action", "ListUsers", "Version", "2010-05-08")
	wrong := func(n int) {
		t.Helper()
		for range n {
			signedPost(t, d, d.AccessKey, "not-the-secret", "iam", timeZero, list).wantError(t, 403, "SignatureDoesNotMatch")
		}
	}
	right := func() rawResponse { return signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, list) }
	for round := range 3 {
		wrong(fsm.SigFailuresPerStep - 1)
		if r := right(); r.Status != 200 {
			t.Fatalf("round %d: good signature after %d failures: %d %s", round, fsm.SigFailuresPerStep-1, r.Status, r.Body)
		}
	}
	wrong(fsm.SigFailuresPerStep)
	if r := right(); r.Status != 403 || !strings.Contains(r.Body, "locked") {
		t.Fatalf("good signature after %d failures in a row: %d %s", fsm.SigFailuresPerStep, r.Status, r.Body)
	}
}
