package oapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"iamd/iamerr"
	"iamd/server"
	"iamd/server/sigv4"
)

// oapiError is an answer in OUTSCALE's Errors envelope. This file is the
// one place where the dialect chooses codes and statuses (spec §1.2).
type oapiError struct {
	status  int
	code    string
	typ     string
	details string
}

func (e *oapiError) Error() string { return e.code + " " + e.typ + ": " + e.details }

func oapiErr(status int, code, typ, format string, args ...any) *oapiError {
	return &oapiError{status: status, code: code, typ: typ, details: fmt.Sprintf(format, args...)}
}

// Codes of the parameter checks done in this package.
func invalidValue(format string, args ...any) error { // 4118
	return oapiErr(http.StatusBadRequest, "4118", "InvalidParameterValue", format, args...)
}

func invalidValueCode(code, format string, args ...any) error { // 4047, 4122, 4123, ...
	return oapiErr(http.StatusBadRequest, code, "InvalidParameterValue", format, args...)
}

func missing(name string) error { // 7000
	return oapiErr(http.StatusBadRequest, "7000", "MissingParameter", "The parameter %s is required and must not be empty", name)
}

// decodeError maps a strict-decoding failure: unknown field 3001, wrong
// type 4110, malformed JSON 4110 too (the body is not the expected type).
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the request body"
		}
		return oapiErr(http.StatusBadRequest, "4110", "InvalidParameterType",
			"The parameter type of %s is wrong: expected %s, got a JSON %s", field, goTypeName(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return oapiErr(http.StatusBadRequest, "4110", "InvalidParameterType", "The request body is not valid JSON: %v", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return oapiErr(http.StatusBadRequest, "3001", "InvalidParameter", "The parameter %s is not known by this action", name)
	}
	return oapiErr(http.StatusBadRequest, "4110", "InvalidParameterType", "The request body cannot be decoded: %v", err)
}

func goTypeName(t string) string {
	switch {
	case t == "bool" || t == "*bool":
		return "a boolean"
	case strings.Contains(t, "int"):
		return "an integer"
	case t == "string" || t == "*string":
		return "a string"
	case strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "*[]"):
		return "a list"
	}
	return "an object"
}

// mapError turns a server error into an OAPI error. notFound is the code
// of a missing resource for the action at hand (5076 for access keys,
// 4122 for a foreign CA, ...); "" means 4118.
func mapError(err error, notFound string) error {
	var oe *oapiError
	if errors.As(err, &oe) {
		return oe
	}
	if id := server.PendingApprovalID(err); id != "" {
		// iamd's own code (OUTSCALE has no multi-user approval): 9xxx is the
		// conflict family, and the request is not carried out yet.
		return oapiErr(http.StatusConflict, "9999", "ResourceConflict",
			"request held for multi-user approval: approval id %s; it is carried out when every security contact approves", id)
	}
	var d *server.AccessDenial
	if errors.As(err, &d) {
		switch d.Reason {
		case server.DeniedLocked:
			return oapiErr(http.StatusUnauthorized, "13", "AccessDenied", "%s", d.Error())
		case server.DeniedCertRequired:
			return oapiErr(http.StatusUnauthorized, "4", "AccessDenied", "%s", d.Error())
		}
		return oapiErr(http.StatusUnauthorized, "14", "AccessDenied", "%s", d.Error())
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return oapiErr(http.StatusUnauthorized, "1", "AccessDenied", "Authentication failed (%s): %s", se.Code, se.Message)
	}
	e := iamerr.As(err)
	switch e.Kind {
	case iamerr.Unauthorized:
		return oapiErr(http.StatusUnauthorized, "1", "AccessDenied", "Authentication failed: %s", e.Message)
	case iamerr.Denied:
		return oapiErr(http.StatusUnauthorized, "4", "AccessDenied", "%s", e.Message)
	case iamerr.NotFound:
		if notFound == "" {
			notFound = "4118"
		}
		typ := "InvalidParameterValue"
		if notFound[0] == '5' {
			typ = "InvalidResource"
		}
		return oapiErr(http.StatusBadRequest, notFound, typ, "%s", e.Message)
	case iamerr.Conflict:
		return oapiErr(http.StatusConflict, "9000", "ResourceConflict", "%s", e.Message)
	case iamerr.Limit:
		return oapiErr(http.StatusBadRequest, "10022", "TooManyResources", "%s", e.Message)
	case iamerr.Invalid:
		if e.Code == "InvalidCertificate" {
			return invalidValueCode("4124", "%s", e.Message)
		}
		return invalidValue("%s", e.Message)
	case iamerr.Unavailable:
		return oapiErr(http.StatusServiceUnavailable, "0", "DefaultError", "%s", e.Message)
	}
	return oapiErr(http.StatusInternalServerError, "0", "DefaultError", "Internal error: %s", e.Message)
}
