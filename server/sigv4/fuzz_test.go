package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"iamd/server/sigv4"
)

// fuzzRequest builds a request from raw parts the way net/http would hand
// them over; the path is used as the escaped form when it parses as one.
func fuzzRequest(method, path, rawQuery, auth, date, token, sha string) *http.Request {
	u := &url.URL{Path: path, RawQuery: rawQuery}
	if p, err := url.ParseRequestURI(path); err == nil {
		u.Path, u.RawPath = p.Path, p.RawPath
	}
	r := &http.Request{Method: method, URL: u, Host: "127.0.0.1:8200", Header: http.Header{}}
	for k, v := range map[string]string{"Authorization": auth, "X-Amz-Date": date, "X-Amz-Security-Token": token, "X-Amz-Content-Sha256": sha} {
		if v != "" {
			r.Header[k] = strings.Split(v, "\n")
		}
	}
	return r
}

// checkParse asserts the invariants that hold for any input: no panic, errors
// are *sigv4.Error with a 400/403 status, MissingAuthenticationToken exactly
// when Present is false, and Verify is total on whatever Parse accepts.
func checkParse(t *testing.T, r *http.Request, body []byte) {
	s, err := sigv4.Parse(r, body)
	present := sigv4.Present(r)
	if err != nil {
		var e *sigv4.Error
		if !errors.As(err, &e) || (e.Status != 400 && e.Status != 403) || e.Code == "" || e.Message == "" {
			t.Fatalf("bad error %#v", err)
		}
		if (e.Code == sigv4.CodeMissingAuthenticationToken) == present {
			t.Fatalf("Present = %v but Parse says %v", present, err)
		}
		return
	}
	if !present {
		t.Fatal("Parse accepted a request Present rejects")
	}
	key := sigv4.SigningKey(secret, s.ScopeDate, s.Region, s.Service)
	if err := s.Verify(key, s.Service, s.Date); err != nil {
		var e *sigv4.Error
		if !errors.As(err, &e) {
			t.Fatalf("Verify returned %#v", err)
		}
	}
	_ = s.Verify(key, "iam", s.Date.Add(-sigv4.Skew))
}

func FuzzParse(f *testing.F) {
	// Seeds: a real header-form and a real presigned request, so the fuzzer
	// starts from inputs that reach the signature comparison.
	hdr, _ := http.NewRequest("POST", "http://127.0.0.1:8200/", strings.NewReader(formSTS))
	hdr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	signer := v4.NewSigner()
	_ = signer.SignHTTP(context.Background(), creds(sessAKID), hdr, hashOf([]byte(formSTS)), "sts", region, t0)
	f.Add("POST", "/", "", hdr.Header.Get("Authorization"), hdr.Header.Get("X-Amz-Date"), sessToken, "", []byte(formSTS))

	get, _ := http.NewRequest("GET", "http://127.0.0.1:8200/?"+formSTS+"&X-Amz-Expires=60", nil)
	u, _, _ := signer.PresignHTTP(context.Background(), creds(akid), get, emptyHash(), "sts", region, t0)
	pu, _ := url.Parse(u)
	f.Add("GET", "/", pu.RawQuery, "", "", "", "", []byte(nil))
	f.Add("POST", "/a%2Fb", "X-Amz-Algorithm=x&X-Amz-Expires=9", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host;x,Signature=00",
		"20261123T102030Z", "t\nu", "UNSIGNED-PAYLOAD", []byte("x"))

	f.Fuzz(func(t *testing.T, method, path, rawQuery, auth, date, token, sha string, body []byte) {
		checkParse(t, fuzzRequest(method, path, rawQuery, auth, date, token, sha), body)
	})
}
