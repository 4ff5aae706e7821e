// Package policy owns the AWS IAM policy language for iamd: it parses and
// validates policy documents with AWS's MalformedPolicyDocument rules
// (identity, session, role trust and resource-based policies), compiles them
// once, and evaluates requests against sets of compiled policies with AWS's
// decision logic (explicit Deny > Allow > implicit deny).
//
// Evaluation runs on every authorized request, so Parse does all the work
// that can be done ahead of time (lower-casing, wildcard classification,
// parsing of numbers, dates and CIDRs, splitting ARNs) and Evaluate does no
// parsing of the document and allocates only to report matched statements;
// Decide does not allocate at all.
//
// The package is a pure library: it imports only the standard library and
// knows nothing of users, groups, storage or the wire. Callers assemble the
// policy set and the request context (spec/aws-iam.md §6.4, §6.5).
package policy
