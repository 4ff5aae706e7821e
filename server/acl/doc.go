// Package acl owns Vault ACL policies for iamd's /v1/ dialect: it parses
// policy text (Vault's HCL syntax and its JSON form), validates policy names,
// holds the built-in "root" and "default" policies, and compiles a set of
// policies into an immutable ACL that answers "may this token do op on path?"
// and "which capabilities does it have on path?" (sys/capabilities-self).
//
// The package is a pure library. It imports the standard library,
// github.com/hashicorp/hcl/v2 (hclsyntax and json) with go-cty for values,
// go-secure-stdlib/parseutil for durations, and iamd/iamerr for error kinds.
// It must not import storage, the FSM, HTTP handlers or any other iamd
// package: callers look policies up by name, and hand the parsed *Policy
// values to New or Compile.
//
// Behaviour follows hashicorp/vault vault/policy.go and vault/acl.go:
//
//   - a path is exact, a prefix glob (trailing "*"), or has "+" segment
//     wildcards (optionally with a trailing "*");
//   - rules with the same path pattern, across all policies, are merged:
//     capabilities are unioned and "deny" absorbs everything else;
//   - for a request path, an exact rule wins; otherwise the single
//     highest-priority non-exact rule is used (see priority in match.go).
//     Capabilities of different patterns are never added together;
//   - a LIST request also tries the path without its trailing slash;
//   - allowed_parameters, denied_parameters, required_parameters and
//     min/max_wrapping_ttl are enforced by ACL.Authorize when the caller
//     passes the request data and wrapping TTL;
//   - templated paths ({{identity.entity.id}} and friends) are resolved at
//     compile time by a caller-supplied Resolver; a path whose template cannot
//     be resolved is dropped, as Vault does.
package acl
