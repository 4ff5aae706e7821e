package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func canonicalQuery(raw string, presigned bool) (string, error) {
	params, err := parseQuery(raw)
	if err != nil {
		return "", err
	}
	return string(appendCanonicalQuery(nil, params, presigned)), nil
}

func TestCanonicalQuery(t *testing.T) {
	cases := []struct {
		raw, want string
		presigned bool
	}{
		{raw: "", want: ""},
		{raw: "b=2&a=1", want: "a=1&b=2"},
		{raw: "a=2&a=1&a=10", want: "a=1&a=10&a=2"},
		{raw: "q=a+b", want: "q=a%20b"},
		{raw: "q=a%20b", want: "q=a%20b"},
		{raw: "q=a%2Bb", want: "q=a%2Bb"},
		{raw: "q=a%2bb", want: "q=a%2Bb"},
		// Sorted after encoding: '%' (0x25) sorts before '-' (0x2D).
		{raw: "k=a-b&k=a/b", want: "k=a%2Fb&k=a-b"},
		{raw: "a-b=1&a/b=2", want: "a%2Fb=2&a-b=1"},
		{raw: "flag", want: "flag="},
		{raw: "=v", want: "=v"},
		{raw: "=", want: "="},
		{raw: "a=1&&b=2&", want: "a=1&b=2"},
		{raw: "&&", want: ""},
		{raw: "%7e=~&%41=%61", want: "A=a&~=~"},
		{raw: "-_.~=-_.~", want: "-_.~=-_.~"},
		{raw: "é=ü", want: "%C3%A9=%C3%BC"},
		{raw: "a=%e2%82%ac", want: "a=%E2%82%AC"},
		{raw: "a=b=c", want: "a=b%3Dc"},
		{raw: "k=!*'()$,:@/?", want: "k=%21%2A%27%28%29%24%2C%3A%40%2F%3F"},
		{raw: "a=%00%ff", want: "a=%00%FF"},
		{raw: "X-Amz-Signature=abc&b=1", want: "X-Amz-Signature=abc&b=1"},
		{raw: "X-Amz-Signature=abc&b=1", want: "b=1", presigned: true},
		{raw: "X-Amz-Credential=AKID%2F20261123%2Feu-west-3%2Fsts%2Faws4_request&X-Amz-Algorithm=AWS4-HMAC-SHA256",
			want: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261123%2Feu-west-3%2Fsts%2Faws4_request", presigned: true},
	}
	for _, tc := range cases {
		got, err := canonicalQuery(tc.raw, tc.presigned)
		if err != nil || got != tc.want {
			t.Errorf("canonical(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
	for _, raw := range []string{"a=%zz", "a=%", "a=%4", "%g0=1", "a;b=1", "a=1;b=2", "ok=1&bad=%"} {
		if got, err := canonicalQuery(raw, false); err == nil {
			t.Errorf("canonical(%q) = %q, want an error", raw, got)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	cases := []struct{ target, want string }{
		{"http://h", "/"},
		{"http://h/", "/"},
		{"http://h/a/b/", "/a/b/"},
		{"http://h/a%20b", "/a%2520b"},
		{"http://h/a%2Fb", "/a%252Fb"},
		{"http://h/a+b$c", "/a%2Bb%24c"},
		{"http://h/%C3%BC", "/%25C3%25BC"},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendCanonicalURI(nil, u)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.target, got, tc.want)
		}
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r, _ := http.NewRequest("POST", "http://example.com:8200/", nil)
	r.Header["X-A"] = []string{"  one   two  ", "\tthree ", ""}
	r.Header["x-lower"] = []string{"set without canonicalising"}
	r.ContentLength = 12
	got, absent := appendCanonicalHeaders(nil, r, []string{"content-length", "host", "x-a", "x-lower"})
	want := "content-length:12\nhost:example.com:8200\nx-a:one two,three,\nx-lower:set without canonicalising\n"
	if string(got) != want || absent != "" {
		t.Errorf("got %q (absent %q), want %q", got, absent, want)
	}
	if _, absent := appendCanonicalHeaders(nil, r, []string{"host", "x-missing"}); absent != "x-missing" {
		t.Errorf("absent = %q", absent)
	}
}

func TestUnreserved(t *testing.T) {
	var keep []byte
	for c := 0; c < 256; c++ {
		if unreserved(byte(c)) {
			keep = append(keep, byte(c))
		}
	}
	want := "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"
	if string(keep) != want {
		t.Errorf("unreserved = %q", keep)
	}
}

// referenceCanonicalQuery is the canonical query computed the way
// aws-sdk-go-v2 does on the client: url.ParseQuery, QueryEscape with %20.
func referenceCanonicalQuery(raw string) (string, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "", err
	}
	var pairs []string
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, enc(k)+"\x00"+enc(v))
		}
	}
	slices.Sort(pairs) // NUL sorts before every encoded byte: key first, then value
	return strings.ReplaceAll(strings.Join(pairs, "&"), "\x00", "="), nil
}

func FuzzCanonicalQuery(f *testing.F) {
	for _, s := range []string{"", "b=2&a=1", "q=a+b&r=a%20b", "k=a-b&k=a/b", "flag&&=", "a=%zz", "a;b", "é=%e2%82%ac", "X-Amz-Signature=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := canonicalQuery(raw, false)
		ref, refErr := referenceCanonicalQuery(raw)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%q: error %v, url.ParseQuery error %v", raw, err, refErr)
		}
		if err != nil {
			return
		}
		if got != ref {
			t.Fatalf("%q: canonical %q, reference %q", raw, got, ref)
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; !unreserved(c) && c != '%' && c != '=' && c != '&' {
				t.Fatalf("%q: canonical %q has unencoded byte %q", raw, got, c)
			}
		}
		// The canonical form is a fixed point.
		if again, err := canonicalQuery(got, false); err != nil || again != got {
			t.Fatalf("%q: canonical %q re-canonicalises to %q, %v", raw, got, again, err)
		}
	})
}
