package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"iamd/server/sigv4"
)

// Test credentials: a long-term key pair, a second one (to swap AKIDs) and a
// session key with its token.
const (
	akid        = "AKIAIOSFODNN7EXAMPLE"
	secret      = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	otherAKID   = "AKIAI44QH8DHBEXAMPLE"
	otherSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	sessAKID    = "ASIAJEXAMPLEXEG2JICE"
	sessSecret  = "9drTJvcXLB89EXAMPLELB8923FB892xMFI"
	sessToken   = "AQoDYXdzEJr//////////wEa8AL+session/token=="
	region      = "eu-west-3"
)

var secrets = map[string]string{akid: secret, otherAKID: otherSecret, sessAKID: sessSecret}

// t0 is the signing time of every request not signed by a live SDK client.
var t0 = time.Date(2026, 11, 23, 10, 20, 30, 0, time.UTC)

func emptyHash() string { return hashOf(nil) }

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// captured is a request as net/http handed it to the server handler.
type captured struct {
	r    *http.Request
	body []byte
}

// clone copies the request so that a mutation does not leak into other cases.
func (c captured) clone() captured {
	r := c.r.Clone(context.Background())
	u := *c.r.URL
	r.URL = &u
	return captured{r: r, body: bytes.Clone(c.body)}
}

// captureServer records each request it receives, so tests verify exactly
// what went over a real connection (Host with port, Content-Length header).
type captureServer struct {
	*httptest.Server
	got chan captured
}

func newCaptureServer(t testing.TB) *captureServer {
	t.Helper()
	s := &captureServer{got: make(chan captured, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.got <- captured{r: r.Clone(context.Background()), body: body}
	}))
	t.Cleanup(s.Close)
	return s
}

// do sends req and returns the server's view of it.
func (s *captureServer) do(t testing.TB, req *http.Request) captured {
	t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return <-s.got
}

// signHeader signs req in header form at time at, as aws-sdk-go-v2 does.
func signHeader(t testing.TB, req *http.Request, body []byte, creds aws.Credentials, service string, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashOf(body), service, region, at); err != nil {
		t.Fatal(err)
	}
}

// presign returns req rewritten to its presigned URL (and the headers the
// presigned URL depends on).
func presign(t testing.TB, req *http.Request, creds aws.Credentials, service string, at time.Time) *http.Request {
	t.Helper()
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptyHash(), service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(req.Method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

func creds(id string) aws.Credentials {
	c := aws.Credentials{AccessKeyID: id, SecretAccessKey: secrets[id]}
	if strings.HasPrefix(id, "ASIA") {
		c.SessionToken = sessToken
	}
	return c
}

// errUnknownKey stands in for the server's InvalidClientTokenId.
var errUnknownKey = errors.New("unknown access key")

// verify runs what a handler would: Parse, look up the secret, Verify.
// KeyCache.Verify (a cached key, reused HMAC states) must decide the same.
func verify(c captured, service string, now time.Time) error {
	s, err := sigv4.Parse(c.r, c.body)
	if err != nil {
		return err
	}
	sec, ok := secrets[s.AccessKeyID]
	if !ok {
		return errUnknownKey
	}
	err = s.Verify(sigv4.SigningKey(sec, s.ScopeDate, s.Region, s.Service), service, now)
	for range 2 { // a miss, then a hit on a reused state
		if cerr := testKeys.Verify(s, sec, service, now); codeOf(cerr) != codeOf(err) {
			return fmt.Errorf("KeyCache.Verify says %v, Verify says %v", cerr, err)
		}
	}
	return err
}

var testKeys = sigv4.NewKeyCache(64)

// codeOf returns the AWS code of err, "" for nil, or err's text otherwise.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return err.Error()
}

func mustOK(t *testing.T, c captured, service string, now time.Time) {
	t.Helper()
	if err := verify(c, service, now); err != nil {
		s, _ := sigv4.Parse(c.r, c.body)
		if s != nil {
			t.Logf("canonical request:\n%s\nstring to sign:\n%s", s.CanonicalRequest(), s.StringToSign())
		}
		t.Fatalf("verify: %v", err)
	}
}
