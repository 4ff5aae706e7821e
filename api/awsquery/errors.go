package awsquery

import (
	"errors"
	"net/http"

	"iamd/iamerr"
	"iamd/server/sigv4"
)

// codeStatus is the HTTP status of every AWS error code iamd sends
// (spec §1.4 and §2.4). A code not listed takes its kind's status.
var codeStatus = map[string]int{
	"NoSuchEntity":                  http.StatusNotFound,
	"EntityAlreadyExists":           http.StatusConflict,
	"LimitExceeded":                 http.StatusConflict,
	"DeleteConflict":                http.StatusConflict,
	"EntityTemporarilyUnmodifiable": http.StatusConflict,
	"ConcurrentModification":        http.StatusConflict,
	"MalformedPolicyDocument":       http.StatusBadRequest,
	"InvalidInput":                  http.StatusBadRequest,
	"ValidationError":               http.StatusBadRequest,
	"UnmodifiableEntity":            http.StatusBadRequest,
	"PasswordPolicyViolation":       http.StatusBadRequest,
	"InvalidUserType":               http.StatusBadRequest,
	"PolicyNotAttachable":           http.StatusBadRequest,
	"Throttling":                    http.StatusBadRequest,
	"InvalidAction":                 http.StatusBadRequest,
	"MissingAction":                 http.StatusBadRequest,
	"InvalidQueryParameter":         http.StatusBadRequest,
	"IncompleteSignature":           http.StatusBadRequest,
	"RequestExpired":                http.StatusBadRequest,
	"PackedPolicyTooLarge":          http.StatusBadRequest,
	"InvalidAuthenticationCode":     http.StatusForbidden,
	"AccessDenied":                  http.StatusForbidden,
	"InvalidClientTokenId":          http.StatusForbidden,
	"ExpiredToken":                  http.StatusForbidden,
	"SignatureDoesNotMatch":         http.StatusForbidden,
	"MissingAuthenticationToken":    http.StatusForbidden,
	"RequestEntityTooLarge":         http.StatusRequestEntityTooLarge,
	"ServiceFailure":                http.StatusInternalServerError,
	"PolicyEvaluation":              http.StatusInternalServerError,
	"ServiceUnavailable":            http.StatusServiceUnavailable,
}

// kindCode is the AWS code of an iamerr kind that carries no code.
var kindCode = map[iamerr.Kind]string{
	iamerr.Invalid:      "InvalidInput",
	iamerr.NotFound:     "NoSuchEntity",
	iamerr.Conflict:     "EntityAlreadyExists",
	iamerr.Denied:       "AccessDenied",
	iamerr.Unauthorized: "InvalidClientTokenId",
	iamerr.Limit:        "LimitExceeded",
	iamerr.Unavailable:  "ServiceUnavailable",
	iamerr.Internal:     "ServiceFailure",
}

var kindStatus = map[iamerr.Kind]int{
	iamerr.Invalid:      http.StatusBadRequest,
	iamerr.NotFound:     http.StatusNotFound,
	iamerr.Conflict:     http.StatusConflict,
	iamerr.Denied:       http.StatusForbidden,
	iamerr.Unauthorized: http.StatusForbidden,
	iamerr.Limit:        http.StatusConflict,
	iamerr.Unavailable:  http.StatusServiceUnavailable,
	iamerr.Internal:     http.StatusInternalServerError,
}

// awsError maps any error to AWS's status, code and message: the one place
// where this dialect chooses statuses.
func awsError(err error) (status int, code, msg string) {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return se.Status, se.Code, se.Message
	}
	e := iamerr.As(err)
	code = e.Code
	if code == "" {
		code = kindCode[e.Kind]
	}
	if code == "" {
		code = "ServiceFailure"
	}
	status, ok := codeStatus[code]
	if !ok {
		if status, ok = kindStatus[e.Kind]; !ok {
			status = http.StatusInternalServerError
		}
	}
	return status, code, e.Message
}

func errorWithCode(kind iamerr.Kind, code, format string, args ...any) error {
	return iamerr.WithCode(kind, code, format, args...)
}
