package awsquery_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"iamd/api/apitest"
)

// iamClient is an aws-sdk-go-v2 IAM client for the dev node signing with
// the given key; it does not retry, so each call is one request.
func iamClient(d *apitest.Dev, ak, sk string) *iam.Client { return iamSessionClient(d, ak, sk, "") }

// iamSessionClient is iamClient with a session token.
func iamSessionClient(d *apitest.Dev, ak, sk, token string) *iam.Client {
	return iam.New(iam.Options{
		BaseEndpoint:     aws.String(d.URL),
		Region:           "eu-west-3",
		Credentials:      credentials.NewStaticCredentialsProvider(ak, sk, token),
		RetryMaxAttempts: 1,
	})
}

func rootClient(d *apitest.Dev) *iam.Client { return iamClient(d, d.AccessKey, d.SecretKey) }

// errCode returns the AWS error code of err ("" if none) and fails the
// test when err is nil.
func errCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got none")
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	t.Fatalf("not an API error: %v", err)
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errCode(t, err); got != code {
		t.Fatalf("error code = %s, want %s (%v)", got, code, err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var ctx = context.Background()

var timeZero time.Time

// rawResponse is an answer to a hand-made request.
type rawResponse struct {
	Status int
	Body   string
	Header http.Header
}

// signedPost POSTs form params to the node signed with (ak, sk) for service
// at time at (the zero time: now), as the aws CLI would.
func signedPost(t *testing.T, d *apitest.Dev, ak, sk, service string, at time.Time, params url.Values) rawResponse {
	t.Helper()
	if at.IsZero() {
		at = time.Now()
	}
	return signedSessionPost(t, d, aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, service, at, params)
}

func do(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{Status: resp.StatusCode, Body: string(b), Header: resp.Header}
}

// wantError checks a raw answer's status and error code.
func (r rawResponse) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Body, "<Code>"+code+"</Code>") {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
	if !strings.Contains(r.Body, "<RequestId>") || r.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("error without request ID: %s", r.Body)
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
