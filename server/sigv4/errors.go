package sigv4

import "fmt"

// AWS error codes this package reports. Clients match on the code only; the
// messages follow AWS's wording where it is known (spec §2.4).
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeRequestExpired             = "RequestExpired"
	CodeInvalidQueryParameter      = "InvalidQueryParameter"
)

// Error is an authentication failure in AWS's vocabulary. The AWS query
// dialect writes it out as-is, which is why it carries an HTTP status: this
// package exists only for that dialect, and the status is part of the code's
// meaning there (MissingAuthenticationToken is always 403, and so on).
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errMissing() *Error {
	return &Error{CodeMissingAuthenticationToken, 403, "Request is missing Authentication Token"}
}

func errIncomplete(format string, args ...any) *Error {
	return &Error{CodeIncompleteSignature, 400, fmt.Sprintf(format, args...)}
}

func errMismatch(format string, args ...any) *Error {
	return &Error{CodeSignatureDoesNotMatch, 403, fmt.Sprintf(format, args...)}
}

func errBadQuery(format string, args ...any) *Error {
	return &Error{CodeInvalidQueryParameter, 400, fmt.Sprintf(format, args...)}
}

// errSignature is the one message every client library shows for a wrong
// secret or a canonicalisation difference; keep AWS's exact text.
// Each call returns a fresh value so that no caller can alter another's error.
func errSignature() *Error {
	return &Error{CodeSignatureDoesNotMatch, 403,
		"The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
}

func errExpired() *Error { return &Error{CodeRequestExpired, 400, "Request has expired."} }
