package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"
	timeFormat = "20060102T150405Z"

	// OUTSCALE's flavour (spec/account-security.md §1.3): the same
	// construction with other names, header form only, scoped to "api".
	oscAlgorithm  = "OSC4-HMAC-SHA256"
	oscTerminator = "osc4_request"
	oscService    = "api"

	// DefaultExpires is the lifetime of a presigned request without
	// X-Amz-Expires (aws-sdk-go-v2's PresignGetCallerIdentity sends none).
	DefaultExpires = 900 * time.Second
	// MaxExpires is the longest X-Amz-Expires AWS accepts (one week).
	MaxExpires = 604800 * time.Second
	// Skew is how far X-Amz-Date may be from the server's clock.
	Skew = 15 * time.Minute
)

// Signed is the signature material of one request, parsed without any secret.
// The caller looks up the secret for AccessKeyID (and checks SecurityToken),
// derives the key for (ScopeDate, Region, Service) and calls Verify.
type Signed struct {
	AccessKeyID   string
	Date          time.Time // X-Amz-Date
	ScopeDate     string    // yyyymmdd from the credential scope, for the signing key
	Region        string    // any region is accepted (clients send their configured one)
	Service       string    // as scoped by the client; Verify checks it
	SignedHeaders []string
	Signature     string
	Presigned     bool          // query-string form
	Expires       time.Duration // presigned only: X-Amz-Expires, DefaultExpires when absent
	SecurityToken string        // X-Amz-Security-Token: header, or query when presigned
	OSC4          bool          // OSC4-HMAC-SHA256: X-Osc-Date, key "OSC4"+secret, osc4_request

	amzDate      string
	canonical    []byte
	stringToSign []byte
	// problem is a SignatureDoesNotMatch found while parsing (a scope or
	// payload-hash error). Verify reports it, so that the caller's credential
	// checks (InvalidClientTokenId, ExpiredToken) come first, as with AWS.
	problem *Error
}

// CanonicalRequest returns the canonical request as this server computed it;
// log it when a client reports SignatureDoesNotMatch and compare with the
// client's debug output.
func (s *Signed) CanonicalRequest() string { return string(s.canonical) }

// StringToSign returns the string the signature must be an HMAC of.
func (s *Signed) StringToSign() string { return string(s.stringToSign) }

// Present reports whether r attempts any authentication this package judges:
// an Authorization header of any scheme, or an X-Amz-Algorithm query
// parameter. Parse returns MissingAuthenticationToken exactly when it is false.
func Present(r *http.Request) bool {
	return len(r.Header["Authorization"]) > 0 || queryHasAlgorithm(r.URL.RawQuery)
}

// queryHasAlgorithm looks for the X-Amz-Algorithm key without requiring the
// rest of the query to be well formed, so that a malformed presigned query is
// still recognised as an attempt (IncompleteSignature, not "missing").
func queryHasAlgorithm(raw string) bool {
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(seg, "=")
		if k == "X-Amz-Algorithm" {
			return true
		}
		if strings.IndexByte(k, '%') >= 0 {
			if dk, err := url.QueryUnescape(k); err == nil && dk == "X-Amz-Algorithm" {
				return true
			}
		}
	}
	return false
}

// Parse extracts the signature material from r, in header form
// (Authorization) or presigned query form (X-Amz-Algorithm), and computes the
// string to sign. body is the raw request body, already read by the caller.
// Errors are *Error: MissingAuthenticationToken, IncompleteSignature, or
// InvalidQueryParameter for a query that cannot be decoded.
func Parse(r *http.Request, body []byte) (*Signed, error) {
	hasHeader := len(r.Header["Authorization"]) > 0
	hasQuery := queryHasAlgorithm(r.URL.RawQuery)
	switch {
	case !hasHeader && !hasQuery:
		return nil, errMissing()
	case hasHeader && hasQuery:
		return nil, errIncomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
	}
	params, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}

	s := &Signed{Presigned: hasQuery}
	var cred, signedHeaders string
	var perr *Error
	if hasQuery {
		cred, signedHeaders, perr = s.fromQuery(params)
	} else {
		cred, signedHeaders, perr = s.fromHeader(r)
	}
	if perr != nil {
		return nil, perr
	}
	scope, perr := s.parseCredential(cred)
	if perr != nil {
		return nil, perr
	}
	if s.SignedHeaders, perr = splitSignedHeaders(signedHeaders); perr != nil {
		return nil, perr
	}
	payloadHash, perr := s.payloadHash(r, body)
	if perr != nil {
		return nil, perr
	}

	s.build(r, params, signedHeaders, scope, payloadHash[:])
	return s, nil
}

// build computes the canonical request and the string to sign (spec §2.2).
// One buffer holds both, the string to sign after the canonical request; its
// initial size covers the headers real clients sign.
func (s *Signed) build(r *http.Request, params []param, signedHeaders, scope string, payloadHash []byte) {
	c := make([]byte, 0, 768+3*len(r.URL.RawQuery)+3*len(r.URL.Path))
	c = append(c, r.Method...)
	c = append(c, '\n')
	c = appendCanonicalURI(c, r.URL)
	c = append(c, '\n')
	c = appendCanonicalQuery(c, params, s.Presigned)
	c = append(c, '\n')
	c, absent := appendCanonicalHeaders(c, r, s.SignedHeaders)
	if absent != "" && s.problem == nil {
		s.problem = errMismatch("The request does not carry the signed header '%s'.", clip(absent))
	}
	c = append(c, '\n')
	c = append(c, signedHeaders...)
	c = append(c, '\n')
	c = append(c, payloadHash...)

	sum := sha256.Sum256(c)
	n := len(c)
	s.canonical = c[:n:n] // so that appending the string to sign cannot overwrite it
	sts := append(c[n:], s.algorithm()+"\n"...)
	sts = append(sts, s.amzDate...)
	sts = append(sts, '\n')
	sts = append(sts, scope...)
	sts = append(sts, '\n')
	s.stringToSign = hex.AppendEncode(sts, sum[:])
}

// fromHeader reads the Authorization header form.
func (s *Signed) fromHeader(r *http.Request) (cred, signedHeaders string, err *Error) {
	auth := r.Header["Authorization"]
	if len(auth) > 1 {
		return "", "", errIncomplete("The request has more than one Authorization header.")
	}
	algo, rest, _ := strings.Cut(auth[0], " ")
	s.OSC4 = algo == oscAlgorithm
	if algo != algorithm && !s.OSC4 {
		return "", "", errIncomplete("Unsupported authorization type '%s'; only %s (or %s on OAPI) is accepted.", clip(algo), algorithm, oscAlgorithm)
	}
	dateHeader := "X-Amz-Date"
	if s.OSC4 {
		dateHeader = "X-Osc-Date"
	}
	names := [...]string{"Credential", "Signature", "SignedHeaders"}
	var vals [len(names)]string
	var seen [len(names)]bool
	rest = strings.TrimSpace(rest)
	for more := rest != ""; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return "", "", errIncomplete("Authorization header component '%s' is not of the form key=value.", clip(part))
		}
		i := slices.Index(names[:], k)
		switch {
		case i < 0:
			return "", "", errIncomplete("Authorization header has an unknown component '%s'.", clip(k))
		case seen[i]:
			return "", "", errIncomplete("Authorization header has more than one '%s' component.", k)
		}
		seen[i], vals[i] = true, v
	}
	var missing []string
	for i, v := range vals {
		if v == "" {
			missing = append(missing, "Authorization header requires '"+names[i]+"' parameter.")
		}
	}
	s.amzDate = r.Header.Get(dateHeader)
	if s.amzDate == "" {
		missing = append(missing, "Authorization header requires existence of a '"+dateHeader+"' header.")
	}
	if len(missing) > 0 {
		return "", "", errIncomplete("%s", strings.Join(missing, " "))
	}
	if err := s.parseDate(); err != nil {
		return "", "", err
	}
	cred, s.Signature, signedHeaders = vals[0], vals[1], vals[2]
	if !s.OSC4 {
		s.SecurityToken = r.Header.Get("X-Amz-Security-Token")
	}
	return cred, signedHeaders, nil
}

// The presigned form's parameters, in the order a missing-parameter message
// lists them; those before qExpires are required.
const (
	qAlgorithm = iota
	qCredential
	qSignature
	qDate
	qSignedHeaders
	qExpires
	qToken
	qCount
)

var queryAuthNames = [qCount]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
	"X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires", "X-Amz-Security-Token"}

// fromQuery reads the presigned form. Each X-Amz-* parameter may appear once:
// a repeated one would leave it unclear which value was meant.
func (s *Signed) fromQuery(params []param) (cred, signedHeaders string, err *Error) {
	var vals [qCount]string
	var seen [qCount]bool
	for _, p := range params {
		i := slices.Index(queryAuthNames[:], p.key)
		if i < 0 {
			continue
		}
		if seen[i] {
			return "", "", errIncomplete("Query parameter '%s' appears more than once.", p.key)
		}
		seen[i], vals[i] = true, p.value
	}
	var missing []string
	for i := range qExpires {
		if vals[i] == "" {
			missing = append(missing, "'"+queryAuthNames[i]+"'")
		}
	}
	if len(missing) > 0 {
		return "", "", errIncomplete("AWS query-string parameters must include %s. Re-examine the query-string parameters.", strings.Join(missing, ", "))
	}
	if vals[qAlgorithm] != algorithm {
		return "", "", errIncomplete("X-Amz-Algorithm only supports '%s', not '%s'.", algorithm, clip(vals[qAlgorithm]))
	}
	s.Signature, s.amzDate, s.SecurityToken = vals[qSignature], vals[qDate], vals[qToken]
	if err := s.parseDate(); err != nil {
		return "", "", err
	}
	s.Expires = DefaultExpires
	if seen[qExpires] {
		v := vals[qExpires]
		n, perr := strconv.ParseInt(v, 10, 64)
		switch {
		case perr != nil && !isDigits(v):
			return "", "", errIncomplete("X-Amz-Expires should be a number.")
		case perr != nil || n > int64(MaxExpires/time.Second):
			return "", "", errIncomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800.")
		case n < 0:
			return "", "", errIncomplete("X-Amz-Expires must be non-negative.")
		}
		s.Expires = time.Duration(n) * time.Second
	}
	return vals[qCredential], vals[qSignedHeaders], nil
}

func isDigits(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func (s *Signed) parseDate() *Error {
	t, err := time.Parse(timeFormat, s.amzDate)
	if err != nil || len(s.amzDate) != len(timeFormat) {
		return errIncomplete("X-Amz-Date must be in the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z', got '%s'.", clip(s.amzDate))
	}
	s.Date = t
	return nil
}

// parseCredential splits AKID/yyyymmdd/region/service/aws4_request and returns
// the scope (everything after the AKID), which the string to sign repeats
// verbatim. Scope values that are well formed but wrong are recorded as a
// problem for Verify: AWS reports them as SignatureDoesNotMatch.
func (s *Signed) parseCredential(cred string) (scope string, err *Error) {
	if strings.Count(cred, "/") != 4 {
		return "", errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'.", clip(cred))
	}
	akid, scope, _ := strings.Cut(cred, "/")
	date, rest, _ := strings.Cut(scope, "/")
	region, rest, _ := strings.Cut(rest, "/")
	service, term, _ := strings.Cut(rest, "/")
	if akid == "" {
		return "", errIncomplete("Credential has an empty access key id.")
	}
	s.AccessKeyID, s.ScopeDate, s.Region, s.Service = akid, date, region, service
	switch {
	case term != s.terminator():
		s.problem = errMismatch("Credential should be scoped with a valid terminator: '%s', not '%s'.", s.terminator(), clip(term))
	case date != s.amzDate[:8]:
		s.problem = errMismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", clip(date), s.amzDate[:8], s.amzDate)
	case region == "":
		s.problem = errMismatch("Credential should be scoped to a valid region.")
	}
	return scope, nil
}

// splitSignedHeaders splits the h1;h2 list, refusing empty names.
func splitSignedHeaders(list string) ([]string, *Error) {
	names := strings.Split(list, ";")
	hasHost := false
	for _, n := range names {
		if n == "" {
			return nil, errIncomplete("SignedHeaders '%s' contains an empty header name.", clip(list))
		}
		hasHost = hasHost || strings.EqualFold(n, "host")
	}
	// Without host a signature could be replayed against another endpoint;
	// every client signs it.
	if !hasHost {
		return nil, errIncomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return names, nil
}

// payloadHash returns the hex SHA-256 of body. A client-supplied
// X-Amz-Content-Sha256 must agree with the body we received: otherwise the
// signature would cover a hash, not the parameters the handler will read.
func (s *Signed) payloadHash(r *http.Request, body []byte) (h [2 * sha256.Size]byte, err *Error) {
	sum := sha256.Sum256(body)
	hex.Encode(h[:], sum[:])
	vals, ok := r.Header["X-Amz-Content-Sha256"]
	if !ok {
		return h, nil
	}
	if len(vals) == 1 && vals[0] == "UNSIGNED-PAYLOAD" {
		return h, errIncomplete("UNSIGNED-PAYLOAD is not accepted: the request body must be signed.")
	}
	if (len(vals) != 1 || vals[0] != string(h[:])) && s.problem == nil {
		s.problem = errMismatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return h, nil
}

// clip bounds client-supplied text echoed into an error message.
func clip(v string) string {
	const max = 64
	if len(v) > max {
		return v[:max] + "..."
	}
	return v
}

func (s *Signed) algorithm() string {
	if s.OSC4 {
		return oscAlgorithm
	}
	return algorithm
}

func (s *Signed) terminator() string {
	if s.OSC4 {
		return oscTerminator
	}
	return terminator
}

// ScopeService is the credential-scope service a request for service must
// name: OSC4 signatures are accepted by OAPI only ("oapi"), scoped "api"
// as OUTSCALE's clients sign them.
func (s *Signed) ScopeService(service string) (string, error) {
	if !s.OSC4 {
		return service, nil
	}
	if service != "oapi" {
		return "", errIncomplete("%s signatures are accepted only by the OAPI endpoint (/api/v1/).", oscAlgorithm)
	}
	return oscService, nil
}
