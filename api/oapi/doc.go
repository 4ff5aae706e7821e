// Package oapi serves OUTSCALE's OAPI JSON dialect at POST /api/v1/<Action>
// and /api/latest/<Action> (spec/account-security.md §1): the 14 actions
// on access keys, the API access policy, API access rules and client CAs,
// with OUTSCALE's envelopes (ResponseContext.RequestId; Errors with string
// codes and the HTTP status of their family) so that osc-sdk-go, oapi-cli
// and osc-cli work unchanged.
//
// Requests are SigV4-signed with the credential scope service "oapi" (as
// osc-sdk-go signs). Bodies are decoded strictly: an unknown field is 3001,
// a wrong JSON type 4110, a missing required field 7000.
//
// Like every dialect it only parses, calls server operations and renders;
// it never touches raft or the fsm tables. Errors are mapped to OAPI codes
// in errors.go only.
package oapi
