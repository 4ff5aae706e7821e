package sigv4

import (
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// param is one decoded query parameter, kept in the order received.
type param struct{ key, value string }

// parseQuery decodes a raw query string into its pairs, keeping repeated keys.
//
// It reads the query the way the signing clients do (url.ParseQuery rules:
// '&' separates, '+' is a space, a pair without '=' has an empty value, empty
// segments carry nothing) but it fails where url.ParseQuery would silently
// skip a pair (bad escape, raw ';'). A skipped pair would be left out of the
// canonical query and so be unsigned, while a more lenient parser further on
// might still hand it to the handler.
func parseQuery(raw string) ([]param, error) {
	if raw == "" {
		return nil, nil
	}
	out := make([]param, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		if strings.IndexByte(seg, ';') >= 0 {
			return nil, errBadQuery("The query string contains a raw ';'; encode it as %%3B.")
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, errBadQuery("The query string is malformed: %v.", err)
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, errBadQuery("The query string is malformed: %v.", err)
		}
		out = append(out, param{dk, dv})
	}
	return out, nil
}

// appendCanonicalQuery writes the SigV4 canonical query: every pair (minus
// X-Amz-Signature when presigned) with name and value re-encoded per RFC 3986,
// sorted by encoded name, then encoded value. Sorting must follow encoding:
// "a/b" < "a-b" decoded but "a%2Fb" > "a-b" encoded, and clients sort encoded.
func appendCanonicalQuery(dst []byte, params []param, presigned bool) []byte {
	enc := make([]param, 0, len(params))
	for _, p := range params {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		enc = append(enc, param{uriEncode(p.key), uriEncode(p.value)})
	}
	slices.SortFunc(enc, func(a, b param) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range enc {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.key...)
		dst = append(dst, '=')
		dst = append(dst, p.value...)
	}
	return dst
}

// unreserved reports whether c is in RFC 3986's unreserved set, the only
// bytes SigV4 leaves unencoded.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// uriEncode percent-encodes every byte outside the unreserved set, with
// uppercase hex (a space becomes %20, never '+'). It returns s itself when
// nothing needs encoding, the common case, so that costs no allocation.
func uriEncode(s string) string {
	i := 0
	for i < len(s) && unreserved(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	return string(appendEncoded(make([]byte, 0, len(s)+16), s, false))
}

// appendEncoded writes s percent-encoded; keepSlash leaves '/' alone, as the
// path encoding needs.
func appendEncoded(dst []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// appendCanonicalURI writes the canonical path. Both clients that sign for
// IAM and STS encode the already-escaped path once more (aws-sdk-go-v2:
// EscapePath over EscapedPath; botocore: quote(path, safe='/~') for every
// service but S3), which is AWS's "encode each segment twice" rule. For the
// paths IAM and STS use ("/", and anything of unreserved bytes) this is
// exactly r.URL.EscapedPath().
func appendCanonicalURI(dst []byte, u *url.URL) []byte {
	p := u.EscapedPath()
	if p == "" {
		return append(dst, '/')
	}
	return appendEncoded(dst, p, true)
}

// knownKeys maps the header names real clients sign to their canonical MIME
// form, so that the hot path does not allocate in CanonicalMIMEHeaderKey.
var knownKeys = map[string]string{
	"content-type":          "Content-Type",
	"content-length":        "Content-Length",
	"x-amz-date":            "X-Amz-Date",
	"x-amz-security-token":  "X-Amz-Security-Token",
	"x-amz-content-sha256":  "X-Amz-Content-Sha256",
	"amz-sdk-invocation-id": "Amz-Sdk-Invocation-Id",
	"amz-sdk-request":       "Amz-Sdk-Request",
	"x-amz-user-agent":      "X-Amz-User-Agent",
}

// headerValues returns the received values of a signed header (any case).
// ok is false when the request does not carry it at all.
func headerValues(r *http.Request, name string) (vals []string, ok bool) {
	key, known := knownKeys[name]
	if !known {
		key = textproto.CanonicalMIMEHeaderKey(name)
	}
	if v, ok := r.Header[key]; ok {
		return v, true
	}
	// Requests built in-process may hold keys that are not in canonical form.
	for k, v := range r.Header {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	// net/http keeps Content-Length in r.Header for server requests, but a
	// request built in-process (a proxy, a test) carries it only in the field;
	// the client signs the length it sent, which is that field.
	if strings.EqualFold(name, "content-length") && r.ContentLength > 0 {
		return []string{strconv.FormatInt(r.ContentLength, 10)}, true
	}
	return nil, false
}

// requestHost is the Host the client signed. net/http moves the Host header
// into r.Host; a request built in-process may only have r.URL.Host.
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return r.URL.Host
}

// appendCanonicalHeaders writes "name:value\n" for each signed header in the
// order the client listed them. It returns the first name the request does
// not carry, if any: the client signed something we cannot reproduce.
func appendCanonicalHeaders(dst []byte, r *http.Request, names []string) ([]byte, string) {
	for _, name := range names {
		dst = append(dst, name...)
		dst = append(dst, ':')
		if strings.EqualFold(name, "host") {
			dst = appendTrimmed(dst, requestHost(r))
			dst = append(dst, '\n')
			continue
		}
		vals, ok := headerValues(r, name)
		if !ok {
			return dst, name
		}
		for i, v := range vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendTrimmed(dst, v)
		}
		dst = append(dst, '\n')
	}
	return dst, ""
}

// appendTrimmed writes v without surrounding whitespace and with each inner
// run of spaces reduced to one, as aws-sdk-go-v2 and botocore both do.
func appendTrimmed(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		dst = append(dst, v[i])
	}
	return dst
}
