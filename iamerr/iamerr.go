// Package iamerr defines the kinds of failure every layer of iamd reports.
//
// Business logic (fsm, server) returns *Error values with a Kind; each wire
// dialect (api/vault, api/awsquery, ...) maps kinds to its own status codes
// and error codes in exactly one place. No layer below api chooses an HTTP
// status. This package imports only the standard library.
package iamerr

import (
	"errors"
	"fmt"
)

// Kind classifies a failure independently of any wire format.
type Kind string

const (
	Invalid      Kind = "invalid"      // the request is malformed or violates a rule
	NotFound     Kind = "not_found"    // the named object does not exist
	Conflict     Kind = "conflict"     // the object exists, or is still in use
	Denied       Kind = "denied"       // the caller may not do this
	Unauthorized Kind = "unauthorized" // the caller's credentials are missing or invalid
	Limit        Kind = "limit"        // a quota would be exceeded
	Unavailable  Kind = "unavailable"  // no leader, not initialised, shutting down
	Internal     Kind = "internal"     // a bug or an I/O failure
)

// Error is a failure with a kind, a human message and, where a dialect needs
// it, a more specific code (for example AWS's "DeleteConflict").
type Error struct {
	Kind    Kind   `json:"kind"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// New returns an error of the given kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WithCode returns an error of the given kind carrying a dialect code.
func WithCode(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// KindOf reports the kind of err, Internal when err carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the *Error inside err, wrapping a plain error as Internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Message: err.Error()}
}

// Is reports whether err is an *Error of the given kind.
func Is(err error, kind Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}
