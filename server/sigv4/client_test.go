package sigv4_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"iamd/server/sigv4"
)

// newAWSServer answers ListUsers and GetCallerIdentity after verifying the
// signature the way the real handler will, and answers an AWS error document
// otherwise, so the SDK reports the code.
func newAWSServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		params := r.URL.Query()
		form, _ := url.ParseQuery(string(body))
		for k, v := range form {
			params[k] = v
		}
		service, ns := "iam", "https://iam.amazonaws.com/doc/2010-05-08/"
		if params.Get("Version") == "2011-06-15" {
			service, ns = "sts", "https://sts.amazonaws.com/doc/2011-06-15/"
		}
		w.Header().Set("Content-Type", "text/xml")
		if err := verify(captured{r, body}, service, time.Now()); err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) {
				e = &sigv4.Error{Code: "InvalidClientTokenId", Status: 403, Message: err.Error()}
			}
			w.WriteHeader(e.Status)
			fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`, ns, e.Code, e.Code)
			return
		}
		switch params.Get("Action") {
		case "ListUsers":
			fmt.Fprintf(w, `<ListUsersResponse xmlns="%s"><ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>`, ns)
		case "GetCallerIdentity":
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="%s"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, ns)
		default:
			http.Error(w, "unexpected action", 400)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sdkConfig(id, sec, token string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(id, sec, token),
		RetryMaxAttempts: 1,
	}
}

// TestRealSDKClients drives the generated iam and sts clients against a
// server that verifies with this package.
func TestRealSDKClients(t *testing.T) {
	srv := newAWSServer(t)
	ctx := context.Background()
	endpoint := func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) }
	stsEndpoint := func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) }

	for _, c := range []struct{ id, token string }{{akid, ""}, {sessAKID, sessToken}} {
		cfg := sdkConfig(c.id, secrets[c.id], c.token)
		if _, err := iam.NewFromConfig(cfg, endpoint).ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/a b+c/")}); err != nil {
			t.Errorf("%s ListUsers: %v", c.id, err)
		}
		stsClient := sts.NewFromConfig(cfg, stsEndpoint)
		if _, err := stsClient.GetCallerIdentity(ctx, nil); err != nil {
			t.Errorf("%s GetCallerIdentity: %v", c.id, err)
		}

		pre, err := sts.NewPresignClient(stsClient).PresignGetCallerIdentity(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(pre.URL, "X-Amz-Expires") {
			t.Errorf("presigned URL unexpectedly has X-Amz-Expires: %s", pre.URL)
		}
		req, _ := http.NewRequest(pre.Method, pre.URL, nil)
		for k, v := range pre.SignedHeader {
			if k != "Host" {
				req.Header[k] = v
			}
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s presigned %s: %d %s", c.id, pre.Method, resp.StatusCode, b)
		}
	}

	// A wrong secret must surface as the SDK error code.
	cfg := sdkConfig(akid, "not-the-secret", "")
	_, err := iam.NewFromConfig(cfg, endpoint).ListUsers(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), sigv4.CodeSignatureDoesNotMatch) {
		t.Errorf("wrong secret: %v", err)
	}
}
