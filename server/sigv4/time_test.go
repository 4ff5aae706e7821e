package sigv4_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"iamd/server/sigv4"
)

// TestHeaderSkewWindow checks both edges of the ±15 min window and AWS's
// messages, which aws-sdk-go-v2 and aws-cli users recognise.
func TestHeaderSkewWindow(t *testing.T) {
	srv := newCaptureServer(t)
	c := srv.do(t, cliPOST(t, srv, formIAM, akid, "iam"))
	cases := []struct {
		now  time.Time
		code string
		msg  string
	}{
		{now: t0},
		{now: t0.Add(15 * time.Minute)},
		{now: t0.Add(-15 * time.Minute)},
		{now: t0.Add(15*time.Minute + time.Second), code: sdnm,
			msg: "Signature expired: 20261123T102030Z is now earlier than 20261123T102031Z (20261123T103531Z - 15 min.)"},
		{now: t0.Add(-15*time.Minute - time.Second), code: sdnm,
			msg: "Signature not yet current: 20261123T102030Z is still later than 20261123T102029Z (20261123T100529Z + 15 min.)"},
		// The window is judged in UTC whatever zone the caller's clock uses.
		{now: t0.Add(16 * time.Minute).In(time.FixedZone("X", 3600)), code: sdnm,
			msg: "Signature expired: 20261123T102030Z is now earlier than 20261123T102130Z (20261123T103630Z - 15 min.)"},
	}
	for _, tc := range cases {
		err := verify(c, "iam", tc.now)
		if codeOf(err) != tc.code {
			t.Errorf("now %v: %v, want %q", tc.now, err, tc.code)
			continue
		}
		if e, ok := err.(*sigv4.Error); ok && e.Message != tc.msg {
			t.Errorf("now %v: message\n%q, want\n%q", tc.now, e.Message, tc.msg)
		}
	}
}

func TestPresignedExpiry(t *testing.T) {
	srv := newCaptureServer(t)
	presigned := func(expires int) captured {
		target := srv.URL + "/?" + formSTS
		if expires >= 0 {
			target += "&X-Amz-Expires=" + strconv.Itoa(expires)
		}
		req, _ := http.NewRequest("POST", target, nil)
		return srv.do(t, presign(t, req, creds(akid), "sts", t0))
	}
	cases := []struct {
		expires int // -1: no X-Amz-Expires
		after   time.Duration
		code    string
	}{
		{-1, 0, ""},
		{-1, 900 * time.Second, ""},
		{-1, 901 * time.Second, sigv4.CodeRequestExpired},
		{60, 60 * time.Second, ""},
		{60, 61 * time.Second, sigv4.CodeRequestExpired},
		{0, 0, ""},
		{0, time.Second, sigv4.CodeRequestExpired},
		{604800, 604800 * time.Second, ""},
		{604800, 604801 * time.Second, sigv4.CodeRequestExpired},
		// Used before it was signed: tolerated up to the clock skew.
		{60, -15 * time.Minute, ""},
		{60, -15*time.Minute - time.Second, sdnm},
	}
	for _, tc := range cases {
		err := verify(presigned(tc.expires), "sts", t0.Add(tc.after))
		if codeOf(err) != tc.code {
			t.Errorf("expires %d, now signing time %+v: %v, want %q", tc.expires, tc.after, err, tc.code)
		}
	}
}
