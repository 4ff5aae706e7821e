package sigv4_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"iamd/server/sigv4"
)

const (
	formIAM = "Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fdivision_abc%2F"
	formSTS = "Action=GetCallerIdentity&Version=2011-06-15"
)

// cliPOST builds the request the aws CLI / boto3 send: a form body whose
// signature covers only content-type, host and x-amz-date (botocore does not
// sign Content-Length).
func cliPOST(t testing.TB, srv *captureServer, body, id, service string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	// Sign a copy with no known length, as botocore's header set has none,
	// then send the original (which carries the length).
	signing := req.Clone(req.Context())
	signing.ContentLength = 0
	signHeader(t, signing, []byte(body), creds(id), service, t0)
	req.Header = signing.Header
	return req
}

// sdkPOST builds what aws-sdk-go-v2 sends: it also signs content-length and
// its amz-sdk-* headers.
func sdkPOST(t testing.TB, srv *captureServer, body, id, service string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Amz-Sdk-Invocation-Id", "0e2b4c4e-7f2a-4a35-9d63-3a0f2d4f6b11")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	signHeader(t, req, []byte(body), creds(id), service, t0)
	return req
}

func TestCLIPost(t *testing.T) {
	srv := newCaptureServer(t)
	for _, tc := range []struct{ id, service, body string }{
		{akid, "iam", formIAM},
		{sessAKID, "sts", formSTS},
	} {
		c := srv.do(t, cliPOST(t, srv, tc.body, tc.id, tc.service))
		mustOK(t, c, tc.service, t0)
		s, _ := sigv4.Parse(c.r, c.body)
		want := []string{"content-type", "host", "x-amz-date"}
		if tc.id == sessAKID {
			want = append(want, "x-amz-security-token")
			if s.SecurityToken != sessToken {
				t.Errorf("SecurityToken = %q", s.SecurityToken)
			}
		}
		if !slices.Equal(s.SignedHeaders, want) {
			t.Errorf("SignedHeaders = %v, want %v", s.SignedHeaders, want)
		}
		if s.AccessKeyID != tc.id || s.Region != region || s.Service != tc.service || s.Presigned || !s.Date.Equal(t0) {
			t.Errorf("parsed %+v", s)
		}
	}
}

func TestSDKPost(t *testing.T) {
	srv := newCaptureServer(t)
	c := srv.do(t, sdkPOST(t, srv, formIAM, akid, "iam"))
	mustOK(t, c, "iam", t0)
	s, _ := sigv4.Parse(c.r, c.body)
	want := []string{"amz-sdk-invocation-id", "amz-sdk-request", "content-length", "content-type", "host", "x-amz-date"}
	if !slices.Equal(s.SignedHeaders, want) {
		t.Errorf("SignedHeaders = %v, want %v", s.SignedHeaders, want)
	}
}

// TestPresignedPOST mirrors botocore's generate_presigned_url: the operation's
// method (POST), every parameter in the query, X-Amz-Expires set, an empty
// body, the session token in the query.
func TestPresignedPOST(t *testing.T) {
	srv := newCaptureServer(t)
	req, _ := http.NewRequest("POST", srv.URL+"/?"+formSTS+"&X-Amz-Expires=3600", nil)
	c := srv.do(t, presign(t, req, creds(sessAKID), "sts", t0))
	mustOK(t, c, "sts", t0)
	s, _ := sigv4.Parse(c.r, c.body)
	if !s.Presigned || s.Expires.Seconds() != 3600 || s.SecurityToken != sessToken || !slices.Equal(s.SignedHeaders, []string{"host"}) {
		t.Errorf("parsed %+v", s)
	}
}

// TestPresignedGET mirrors sts.PresignClient: GET, no X-Amz-Expires.
func TestPresignedGET(t *testing.T) {
	srv := newCaptureServer(t)
	req, _ := http.NewRequest("GET", srv.URL+"/?"+formSTS, nil)
	c := srv.do(t, presign(t, req, creds(akid), "sts", t0))
	mustOK(t, c, "sts", t0)
	s, _ := sigv4.Parse(c.r, c.body)
	if !s.Presigned || s.Expires != sigv4.DefaultExpires {
		t.Errorf("Presigned=%v Expires=%v", s.Presigned, s.Expires)
	}
}

// TestCanonicalisationCases signs requests whose canonical form differs from
// what was sent: repeated and padded header values, escaped paths, repeated
// query keys, both spellings of a space.
func TestCanonicalisationCases(t *testing.T) {
	srv := newCaptureServer(t)
	cases := []struct {
		name    string
		method  string
		target  string // path and query
		headers [][2]string
		body    string
	}{
		{name: "repeated and padded header values", method: "POST", target: "/",
			headers: [][2]string{{"X-Amz-Meta-Tag", "  a   b  "}, {"X-Amz-Meta-Tag", "c\t d"}, {"X-Amz-Meta-Other", "x  y   z"}},
			body:    formIAM},
		{name: "empty header value", method: "POST", target: "/", headers: [][2]string{{"X-Amz-Meta-Empty", ""}}, body: formIAM},
		{name: "escaped path", method: "GET", target: "/a%20b/c%2Fd/%C3%BC/e+f/g$h/"},
		{name: "path with reserved characters", method: "GET", target: "/p:1@x;y=z,w!'()*"},
		{name: "repeated query keys", method: "GET", target: "/?b=2&a=3&a=1&a=2&Action=ListUsers&a="},
		{name: "plus and %20 spaces", method: "GET", target: "/?q=a+b&r=a%20b&s=a%2Bb&t=%2F%7E~"},
		{name: "query key without value", method: "GET", target: "/?flag&x=1&&"},
		{name: "query with unicode and sort-after-encoding", method: "GET", target: "/?k=a-b&k=a%2Fb&%C3%A9=1&Z=2"},
		{name: "query on a POST", method: "POST", target: "/?Version=2010-05-08", body: "Action=ListUsers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range []string{akid, sessAKID} {
				var body *strings.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				req, err := http.NewRequest(tc.method, srv.URL+tc.target, nil)
				if body != nil {
					req, err = http.NewRequest(tc.method, srv.URL+tc.target, body)
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range tc.headers {
					req.Header.Add(h[0], h[1])
				}
				signHeader(t, req, []byte(tc.body), creds(id), "iam", t0)
				mustOK(t, srv.do(t, req), "iam", t0)

				if tc.method == "GET" && len(tc.headers) == 0 {
					req, _ := http.NewRequest("GET", srv.URL+tc.target, nil)
					mustOK(t, srv.do(t, presign(t, req, creds(id), "iam", t0)), "iam", t0)
				}
			}
		})
	}
}

// TestAWSDocumentationExample checks the IAM ListUsers example from AWS's
// "Create a signed AWS API request" guide, independent of any client library.
func TestAWSDocumentationExample(t *testing.T) {
	key := sigv4.SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
	if got := hexOf(key); got != "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9" {
		t.Fatalf("signing key = %s", got)
	}
	req, _ := http.NewRequest("GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("X-Amz-Date", "20150830T123600Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "+
		"SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
	s, err := sigv4.Parse(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(key, "iam", s.Date); err != nil {
		t.Fatalf("%v\n%s", err, s.CanonicalRequest())
	}
}

func hexOf(b []byte) string {
	var buf bytes.Buffer
	for _, c := range b {
		buf.WriteByte("0123456789abcdef"[c>>4])
		buf.WriteByte("0123456789abcdef"[c&15])
	}
	return buf.String()
}
