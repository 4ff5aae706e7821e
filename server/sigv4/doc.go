// Package sigv4 verifies AWS Signature Version 4 on requests to the IAM and
// STS query API (spec/aws-iam.md §2): the header form sent by the aws CLI,
// boto3 and aws-sdk-go-v2, and the presigned query form from botocore's
// generate_presigned_url (POST) and aws-sdk-go-v2's presign clients (GET).
//
// It owns the wire half of authentication only: parsing the signature
// material, canonicalising the request, the time window, key derivation and
// caching, and the AWS error codes for those failures. Looking up the access
// key, checking the session token and deciding who the caller is belong to the
// server; a typical handler does
//
//	s, err := sigv4.Parse(r, body)        // MissingAuthenticationToken, IncompleteSignature
//	cred := lookup(s.AccessKeyID, s.SecurityToken) // InvalidClientTokenId, ExpiredToken
//	key := keys.Get(s.AccessKeyID, cred.Secret, s.ScopeDate, s.Region, s.Service)
//	err = s.Verify(key, "iam", time.Now()) // SignatureDoesNotMatch, RequestExpired
//
// The package imports only the standard library, so that it can be reviewed
// and fuzzed on its own.
package sigv4
