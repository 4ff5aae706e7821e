package awsquery_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// withFormParams adds extension parameters to the form body aws-sdk-go-v2
// serialized, before it is signed: how a caller uses iamd's IAM query
// extensions (ExpirationDate, ClearExpirationDate) from the stock SDK.
func withFormParams(extra url.Values) func(*iam.Options) {
	return iam.WithAPIOptions(func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("iamdExtensionParams",
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				req, ok := in.Request.(*smithyhttp.Request)
				if !ok {
					return next.HandleBuild(ctx, in)
				}
				body, err := io.ReadAll(req.GetStream())
				if err != nil {
					return middleware.BuildOutput{}, middleware.Metadata{}, err
				}
				body = append(body, '&')
				body = append(body, extra.Encode()...)
				if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
					return middleware.BuildOutput{}, middleware.Metadata{}, err
				}
				req.ContentLength = int64(len(body))
				in.Request = req
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	})
}

// TestIAMExpirationDateExtension: CreateAccessKey and UpdateAccessKey take
// ExpirationDate (and ClearExpirationDate) through aws-sdk-go-v2; the
// expiry is shown by ListAccessKeys, and past it the key is listed as
// Expired and every request signed with it fails with ExpiredToken.
func TestIAMExpirationDateExtension(t *testing.T) {
	d, clock := startWithClock(t)
	root := rootClient(d)
	must[*iam.CreateUserOutput](t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	exp := clock.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)

	created := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")},
		withFormParams(url.Values{"ExpirationDate": {exp.Format(time.RFC3339)}})))
	ak, sk := *created.AccessKey.AccessKeyId, *created.AccessKey.SecretAccessKey
	listed := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "ListAccessKeys", "Version", "2010-05-08", "UserName", "alice"))
	if want := "<ExpirationDate>" + exp.Format(time.RFC3339) + "</ExpirationDate>"; !strings.Contains(listed.Body, want) {
		t.Fatalf("ListAccessKeys does not show %s: %s", want, listed.Body)
	}

	// A date that is not ISO 8601 is refused, and nothing is created.
	_, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")},
		withFormParams(url.Values{"ExpirationDate": {"next tuesday"}}))
	wantCode(t, err, "InvalidInput")

	// Clearing, then setting a date-only expiry (midnight UTC) on update.
	must[*iam.UpdateAccessKeyOutput](t)(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: aws.String(ak), Status: iamtypes.StatusTypeActive}, withFormParams(url.Values{"ClearExpirationDate": {"true"}})))
	if listed := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "ListAccessKeys", "Version", "2010-05-08", "UserName", "alice")); strings.Contains(listed.Body, "<ExpirationDate>") {
		t.Fatalf("ClearExpirationDate left an expiry: %s", listed.Body)
	}
	day := clock.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	must[*iam.UpdateAccessKeyOutput](t)(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: aws.String(ak), Status: iamtypes.StatusTypeActive}, withFormParams(url.Values{"ExpirationDate": {day}})))
	if listed := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "ListAccessKeys", "Version", "2010-05-08", "UserName", "alice")); !strings.Contains(listed.Body, "<ExpirationDate>"+day+"T00:00:00Z</ExpirationDate>") {
		t.Fatalf("date-only ExpirationDate not set to midnight UTC: %s", listed.Body)
	}
	// Back to ten minutes, then past it.
	must[*iam.UpdateAccessKeyOutput](t)(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: aws.String(ak), Status: iamtypes.StatusTypeActive}, withFormParams(url.Values{"ExpirationDate": {exp.Format(time.RFC3339)}})))

	alice := iamClient(d, ak, sk)
	if _, err := alice.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("key before its expiry: %v", err)
	}
	// Session credentials end with the key they were opened with.
	sess := must[*sts.GetSessionTokenOutput](t)(stsClient(d, ak, sk, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)}))
	if got := sess.Credentials.Expiration.UTC(); got.After(exp) {
		t.Fatalf("session expires %v, after its key (%v)", got, exp)
	}
	clock.Advance(11 * time.Minute)
	_, err = alice.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "ExpiredToken")
	_, err = stsClient(d, *sess.Credentials.AccessKeyId, *sess.Credentials.SecretAccessKey, *sess.Credentials.SessionToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken")
	keys := must[*iam.ListAccessKeysOutput](t)(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].Status != "Expired" {
		t.Fatalf("expired key listed as %+v", keys.AccessKeyMetadata)
	}
}
