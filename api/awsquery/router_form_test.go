package awsquery

import (
	"mime"
	"net/http"
	"testing"
)

// isForm's shortcut for the SDKs' exact header agrees with parsing it.
func TestIsFormAgreesWithParseMediaType(t *testing.T) {
	for _, ct := range []string{
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=utf-8",
		"Application/X-WWW-Form-Urlencoded; Charset=UTF-8",
		"application/x-www-form-urlencoded;charset=utf-8",
		"application/x-www-form-urlencoded; charset=utf-8; x=\"y\"",
		"application/x-www-form-urlencoded; charset",
		"application/json",
		"text/plain; charset=utf-8",
		"application/x-www-form-urlencodedx",
	} {
		mt, _, err := mime.ParseMediaType(ct)
		want := err == nil && mt == "application/x-www-form-urlencoded"
		req := &http.Request{Header: http.Header{"Content-Type": {ct}}}
		if got := isForm(req); got != want {
			t.Errorf("isForm(%q) = %v, ParseMediaType says %v", ct, got, want)
		}
	}
	if isForm(&http.Request{Header: http.Header{}}) {
		t.Error("a request without Content-Type is a form")
	}
}
