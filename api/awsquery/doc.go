// Package awsquery is the AWS query-API dialect of iamd (spec/aws-iam.md):
// `POST /` (form body merged with the query string) and `GET /?Action=…`,
// SigV4-signed, answered in IAM's XML. It owns the wire format only:
// reading parameters, checking them against the AWS model (ValidationError),
// rendering results and errors. Every decision is a call on *server.Node;
// this package never touches raft or the fsm tables.
//
// # Adding an action
//
// One file per area (users.go, keys.go, groups.go, policies.go, …)
// registers its actions in init():
//
//	func init() {
//		registerAction("GetUser", getUser)
//	}
//
//	func getUser(r *Request) (any, error) {
//		name := r.Params.String("UserName", ExistingUserName) // optional
//		if err := r.Params.Err(); err != nil {
//			return nil, err // "N validation errors detected: …"
//		}
//		u, err := r.Node.GetIAMUser(r.Ctx, r.Caller, name)
//		if err != nil {
//			return nil, err // iamerr → AWS code and status (errors.go)
//		}
//		return getUserResult{User: userOf(u)}, nil
//	}
//
// A Handler returns the children of <{Action}Result> as a struct with xml
// tags (the framework names the element), or nil for actions without output
// (the answer then holds only ResponseMetadata). Use List[T] for AWS lists
// (`<Users><member>…</member></Users>`; a required list is written even when
// empty, tag it `xml:",omitempty"` when optional), Map[V] for maps
// (`<entry><key>…</key><value>…</value></entry>`) and PolicyDocument for
// every policyDocumentType member (percent-encoded, spec §1.3). Times must be
// UTC (use UTC()).
//
// # Parameters
//
// Params reads the merged form. String, Int, Bool, List (`Name.member.N`,
// `Name=` for an empty list), Members (`Name.member.N.Field`, each member a
// nested *Params for nested lists) and Tags check a Rule (Required, Min/Max
// length in characters, Pattern, Enum) and collect every violation; Err
// returns them as one ValidationError in AWS's wording. Unknown parameters
// are ignored; a parameter sent twice (query and body, or twice in one) is
// refused with InvalidQueryParameter before any handler runs.
//
// # Request pipeline (router.go)
//
//  1. read the body (at most maxRequestSize, else 413), parse body + query;
//     malformed → 400 InvalidQueryParameter;
//  2. resolve Version + Action to a registered action (Version absent: by
//     name); its dialect says which SigV4 service scope to require;
//  3. authenticate (server.Node.AuthenticateAWS): MissingAuthenticationToken,
//     IncompleteSignature, InvalidClientTokenId, SignatureDoesNotMatch, …;
//  4. no Action → 400 MissingAction; unknown → 400 InvalidAction;
//  5. the handler: model checks (ValidationError), then the server operation,
//     which authorizes (AccessDenied) before any existence check.
//
// STS (Version 2011-06-15, sts.go) is a second dialect on the same endpoint,
// registered with registerDialect and registerVersionAction; IAM actions use
// registerAction.
//
// This package imports server and iamerr; never fsm internals, raft or
// another dialect.
package awsquery
