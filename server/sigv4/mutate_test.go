package sigv4_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"iamd/server/sigv4"
)

type mutation struct {
	name   string
	mutate func(c *captured)
	code   string // "" = still verifies
}

// editAuth rewrites the Authorization header.
func editAuth(f func(string) string) func(*captured) {
	return func(c *captured) { c.r.Header.Set("Authorization", f(c.r.Header.Get("Authorization"))) }
}

func replaceAuth(old, new string) func(*captured) {
	return editAuth(func(a string) string { return strings.Replace(a, old, new, 1) })
}

// editQuery rewrites the query through url.Values (which re-encodes it; the
// canonical form does not care).
func editQuery(f func(url.Values)) func(*captured) {
	return func(c *captured) {
		q := c.r.URL.Query()
		f(q)
		c.r.URL.RawQuery = q.Encode()
	}
}

func flipLastHex(s string) string {
	if strings.HasSuffix(s, "0") {
		return s[:len(s)-1] + "1"
	}
	return s[:len(s)-1] + "0"
}

func runMutations(t *testing.T, base captured, service string, cases []mutation) {
	t.Helper()
	mustOK(t, base, service, t0)
	for _, m := range cases {
		t.Run(m.name, func(t *testing.T) {
			c := base.clone()
			m.mutate(&c)
			err := verify(c, service, t0)
			if got := codeOf(err); got != m.code {
				t.Fatalf("code = %q (%v), want %q", got, err, m.code)
			}
			if e, ok := err.(*sigv4.Error); ok {
				want := map[string]int{
					sigv4.CodeMissingAuthenticationToken: 403, sigv4.CodeIncompleteSignature: 400,
					sigv4.CodeSignatureDoesNotMatch: 403, sigv4.CodeRequestExpired: 400,
					sigv4.CodeInvalidQueryParameter: 400,
				}[e.Code]
				if e.Status != want || e.Message == "" {
					t.Errorf("status %d message %q", e.Status, e.Message)
				}
			}
		})
	}
}

const (
	sdnm       = sigv4.CodeSignatureDoesNotMatch
	incomplete = sigv4.CodeIncompleteSignature
)

func TestHeaderFormMutations(t *testing.T) {
	srv := newCaptureServer(t)
	base := srv.do(t, sdkPOST(t, srv, formIAM, sessAKID, "iam"))
	runMutations(t, base, "iam", []mutation{
		{"unsigned header added", func(c *captured) { c.r.Header.Set("User-Agent", "other") }, ""},
		{"no spaces after commas", replaceAuth(", ", ","), ""},
		{"several spaces after commas", editAuth(func(a string) string { return strings.ReplaceAll(a, ", ", ",   ") }), ""},
		{"X-Amz-Signature query parameter is signed in header form", func(c *captured) { c.r.URL.RawQuery = "X-Amz-Signature=x" }, sdnm},

		{"body", func(c *captured) { c.body = append(c.body, "&UserName=root"...) }, sdnm},
		{"body empty", func(c *captured) { c.body = nil }, sdnm},
		{"signed header value", func(c *captured) { c.r.Header.Set("Content-Type", "text/plain") }, sdnm},
		{"signed header extra value", func(c *captured) { c.r.Header.Add("Amz-Sdk-Request", "attempt=2") }, sdnm},
		{"signed header removed", func(c *captured) { c.r.Header.Del("Amz-Sdk-Request") }, sdnm},
		{"content-length header removed", func(c *captured) { c.r.Header.Del("Content-Length"); c.r.ContentLength = -1 }, sdnm},
		{"host", func(c *captured) { c.r.Host = "iam.example.com:8200" }, sdnm},
		{"query added", func(c *captured) { c.r.URL.RawQuery = "Action=DeleteUser" }, sdnm},
		{"path", func(c *captured) { c.r.URL.Path = "/v1/" }, sdnm},
		{"method", func(c *captured) { c.r.Method = "PUT" }, sdnm},
		{"x-amz-date one second later", func(c *captured) { c.r.Header.Set("X-Amz-Date", "20261123T102031Z") }, sdnm},
		{"x-amz-date other day", func(c *captured) { c.r.Header.Set("X-Amz-Date", "20261122T235959Z") }, sdnm},
		{"scope date", replaceAuth("/20261123/", "/20261122/"), sdnm},
		{"scope region", replaceAuth("/"+region+"/", "/us-east-1/"), sdnm},
		{"scope region empty", replaceAuth("/"+region+"/", "//"), sdnm},
		{"scope service", replaceAuth("/iam/", "/sts/"), sdnm},
		{"scope terminator", replaceAuth("aws4_request", "aws4_reques"), sdnm},
		{"signature", editAuth(flipLastHex), sdnm},
		{"signature upper case", editAuth(func(a string) string {
			i := strings.Index(a, "Signature=") + len("Signature=")
			return a[:i] + strings.ToUpper(a[i:])
		}), sdnm},
		{"signature truncated", editAuth(func(a string) string { return a[:len(a)-2] }), sdnm},
		{"access key of another user", replaceAuth(sessAKID, otherAKID), sdnm},
		{"access key unknown", replaceAuth(sessAKID, "AKIAUNKNOWNEXAMPLE00"), errUnknownKey.Error()},
		{"security token", func(c *captured) { c.r.Header.Set("X-Amz-Security-Token", "forged") }, sdnm},
		{"content sha256 wrong", func(c *captured) { c.r.Header.Set("X-Amz-Content-Sha256", emptyHash()) }, sdnm},
		{"unsigned payload", func(c *captured) { c.r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, incomplete},

		{"no authorization", func(c *captured) { c.r.Header.Del("Authorization") }, sigv4.CodeMissingAuthenticationToken},
		{"two authorization headers", func(c *captured) { c.r.Header.Add("Authorization", c.r.Header.Get("Authorization")) }, incomplete},
		{"other scheme", func(c *captured) { c.r.Header.Set("Authorization", "Bearer abc") }, incomplete},
		{"sigv2", func(c *captured) {
			c.r.Header.Set("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
		}, incomplete},
		{"other algorithm", replaceAuth("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"), incomplete},
		{"algorithm only", func(c *captured) { c.r.Header.Set("Authorization", "AWS4-HMAC-SHA256") }, incomplete},
		{"missing signature", editAuth(func(a string) string { return a[:strings.Index(a, ", Signature=")] }), incomplete},
		{"empty signature", editAuth(func(a string) string { return a[:strings.Index(a, "Signature=")+len("Signature=")] }), incomplete},
		{"missing credential", editAuth(func(a string) string {
			return "AWS4-HMAC-SHA256 " + a[strings.Index(a, "SignedHeaders="):]
		}), incomplete},
		{"duplicate component", editAuth(func(a string) string { return a + ", Signature=00" }), incomplete},
		{"unknown component", editAuth(func(a string) string { return a + ", Foo=bar" }), incomplete},
		{"component without =", editAuth(func(a string) string { return a + ", junk" }), incomplete},
		{"trailing comma", editAuth(func(a string) string { return a + "," }), incomplete},
		{"credential with four elements", replaceAuth("/aws4_request", ""), incomplete},
		{"credential with six elements", replaceAuth("/aws4_request", "/aws4_request/x"), incomplete},
		{"credential without access key", replaceAuth("Credential="+sessAKID, "Credential="), incomplete},
		{"signed headers without host", replaceAuth("content-type;host;", "content-type;"), incomplete},
		{"signed headers with empty name", replaceAuth("content-type;host", "content-type;;host"), incomplete},
		{"no x-amz-date", func(c *captured) { c.r.Header.Del("X-Amz-Date") }, incomplete},
		{"x-amz-date not ISO 8601 basic", func(c *captured) { c.r.Header.Set("X-Amz-Date", "2026-11-23T10:20:30Z") }, incomplete},
		{"also presigned", func(c *captured) { c.r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" }, incomplete},
		{"bad query escape", func(c *captured) { c.r.URL.RawQuery = "a=%zz" }, sigv4.CodeInvalidQueryParameter},
	})
}

func TestPresignedMutations(t *testing.T) {
	srv := newCaptureServer(t)
	req, _ := http.NewRequest("GET", srv.URL+"/?"+formSTS, nil)
	base := srv.do(t, presign(t, req, creds(sessAKID), "sts", t0))
	runMutations(t, base, "sts", []mutation{
		{"query reordered", editQuery(func(url.Values) {}), ""},
		{"unsigned header added", func(c *captured) { c.r.Header.Set("Content-Type", "text/plain") }, ""},
		{"body", func(c *captured) { c.body = []byte("Action=AssumeRole") }, sdnm},
		{"action", editQuery(func(q url.Values) { q.Set("Action", "AssumeRole") }), sdnm},
		{"parameter added", editQuery(func(q url.Values) { q.Add("RoleArn", "x") }), sdnm},
		{"host", func(c *captured) { c.r.Host = "other:1" }, sdnm},
		{"method", func(c *captured) { c.r.Method = "POST" }, sdnm},
		{"access key of another user", editQuery(func(q url.Values) {
			q.Set("X-Amz-Credential", strings.Replace(q.Get("X-Amz-Credential"), sessAKID, otherAKID, 1))
		}), sdnm},
		{"scope service", editQuery(func(q url.Values) {
			q.Set("X-Amz-Credential", strings.Replace(q.Get("X-Amz-Credential"), "/sts/", "/iam/", 1))
		}), sdnm},
		{"security token", editQuery(func(q url.Values) { q.Set("X-Amz-Security-Token", "forged") }), sdnm},
		{"expires added", editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "604800") }), sdnm},
		{"date", editQuery(func(q url.Values) { q.Set("X-Amz-Date", "20261123T102031Z") }), sdnm},
		{"signature", editQuery(func(q url.Values) { q.Set("X-Amz-Signature", flipLastHex(q.Get("X-Amz-Signature"))) }), sdnm},

		{"signature twice", editQuery(func(q url.Values) { q.Add("X-Amz-Signature", q.Get("X-Amz-Signature")) }), incomplete},
		{"empty date twice", editQuery(func(q url.Values) { q["X-Amz-Date"] = []string{"", q.Get("X-Amz-Date")} }), incomplete},
		{"signature missing", editQuery(func(q url.Values) { q.Del("X-Amz-Signature") }), incomplete},
		{"date missing", editQuery(func(q url.Values) { q.Del("X-Amz-Date") }), incomplete},
		{"algorithm wrong", editQuery(func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256") }), incomplete},
		{"expires not a number", editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "soon") }), incomplete},
		{"expires negative", editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "-1") }), incomplete},
		{"expires over a week", editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "604801") }), incomplete},
		{"expires overflow", editQuery(func(q url.Values) { q.Set("X-Amz-Expires", "99999999999999999999999") }), incomplete},
		{"authorization too", func(c *captured) { c.r.Header.Set("Authorization", "AWS4-HMAC-SHA256 x") }, incomplete},
		{"algorithm key escaped still counts", func(c *captured) {
			c.r.URL.RawQuery = strings.Replace(c.r.URL.RawQuery, "X-Amz-Algorithm", "X-Amz-%41lgorithm", 1)
		}, ""},
		{"raw semicolon", func(c *captured) { c.r.URL.RawQuery += "&a;b=1" }, sigv4.CodeInvalidQueryParameter},
	})
}

func TestServiceMessage(t *testing.T) {
	srv := newCaptureServer(t)
	c := srv.do(t, cliPOST(t, srv, formSTS, akid, "sts"))
	err := verify(c, "iam", t0)
	if e, ok := err.(*sigv4.Error); !ok || e.Message != "Credential should be scoped to correct service: 'iam'." {
		t.Fatalf("got %v", err)
	}
}

func TestMissingMessages(t *testing.T) {
	r, _ := http.NewRequest("POST", "http://h/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 SignedHeaders=host")
	_, err := sigv4.Parse(r, nil)
	want := "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
		"Authorization header requires existence of a 'X-Amz-Date' header."
	if e, ok := err.(*sigv4.Error); !ok || e.Message != want {
		t.Fatalf("got %v", err)
	}
	if sigv4.Present(r) != true {
		t.Error("Present = false with an Authorization header")
	}
	r.Header.Del("Authorization")
	if sigv4.Present(r) {
		t.Error("Present = true without authentication")
	}
	if _, err := sigv4.Parse(r, nil); codeOf(err) != sigv4.CodeMissingAuthenticationToken {
		t.Errorf("got %v", err)
	}
}
