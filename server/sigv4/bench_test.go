package sigv4_test

import (
	"net/http"
	"testing"

	"iamd/server/sigv4"
)

// benchVerify measures the per-request cost a handler pays with a warm key
// cache: Parse, cache lookup, Verify.
func benchVerify(b *testing.B, c captured, service string) {
	keys := sigv4.NewKeyCache(1024)
	b.ReportAllocs()
	for b.Loop() {
		s, err := sigv4.Parse(c.r, c.body)
		if err != nil {
			b.Fatal(err)
		}
		if err := keys.Verify(s, secrets[s.AccessKeyID], service, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerifySDKPost(b *testing.B) {
	srv := newCaptureServer(b)
	benchVerify(b, srv.do(b, sdkPOST(b, srv, formIAM, sessAKID, "iam")), "iam")
}

func BenchmarkParseVerifyPresignedGET(b *testing.B) {
	srv := newCaptureServer(b)
	req, _ := http.NewRequest("GET", srv.URL+"/?"+formSTS, nil)
	benchVerify(b, srv.do(b, presign(b, req, creds(sessAKID), "sts", t0)), "sts")
}

func BenchmarkSigningKeyUncached(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sigv4.SigningKey(secret, "20261123", region, "iam")
	}
}
