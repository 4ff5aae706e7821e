package sigv4

import (
	"crypto/sha256"
	"time"
)

// SigningKey derives the SigV4 key for one day, region and service:
// HMAC chain over "AWS4"+secret, yyyymmdd, region, service, "aws4_request".
// It costs four HMACs; KeyCache avoids repeating them per request.
func SigningKey(secret, yyyymmdd, region, service string) []byte {
	return signingKey(false, secret, yyyymmdd, region, service)
}

// signingKey is SigningKey, or with osc4 OUTSCALE's: "OSC4"+secret and
// "osc4_request".
func signingKey(osc4 bool, secret, yyyymmdd, region, service string) []byte {
	prefix, term := "AWS4", terminator
	if osc4 {
		prefix, term = "OSC4", oscTerminator
	}
	return deriveKey(prefix, secret, yyyymmdd, region, service, term) // hmac.go
}

// Verify checks, in this order: that the credential is scoped to service
// ("iam" or "sts", chosen by the caller from the action), the scope and
// payload problems found by Parse, the time window at now (spec §2.2 Time),
// and finally the signature, which signingKey must have been derived for
// (s.ScopeDate, s.Region, s.Service). Errors are *Error.
//
// The service check lives here rather than being left to the caller because
// a key derived from the client's own scope verifies whatever service the
// client named: skipping it would let an STS-scoped signature act on IAM.
func (s *Signed) Verify(signingKey []byte, service string, now time.Time) error {
	if err := s.precheck(service, now); err != nil {
		return err
	}
	return s.checkSignature(newPadStates(signingKey))
}

// precheck is Verify up to the signature: service, Parse's problems, time.
func (s *Signed) precheck(service string, now time.Time) error {
	if s.Service != service {
		return errMismatch("Credential should be scoped to correct service: '%s'.", service)
	}
	if s.problem != nil {
		p := *s.problem
		return &p
	}
	if err := s.checkTime(now.UTC()); err != nil {
		return err
	}
	return nil
}

// checkSignature compares the signature with the HMAC of the string to
// sign under the signing key whose pad states are ps.
func (s *Signed) checkSignature(ps padStates) error {
	var want [2 * sha256.Size]byte
	if !ps.macInto(&want, s.stringToSign) || !equalHex(want[:], s.Signature) {
		return errSignature()
	}
	return nil
}

// checkTime applies the window: header form within Skew of now either way;
// presigned not before now+Skew and not after Date+Expires. The messages are
// AWS's, which aws-cli users search for.
func (s *Signed) checkTime(now time.Time) *Error {
	if s.Date.After(now.Add(Skew)) {
		return errMismatch("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			s.amzDate, now.Add(Skew).Format(timeFormat), now.Format(timeFormat))
	}
	if s.Presigned {
		if now.After(s.Date.Add(s.Expires)) {
			return errExpired()
		}
		return nil
	}
	if s.Date.Before(now.Add(-Skew)) {
		return errMismatch("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			s.amzDate, now.Add(-Skew).Format(timeFormat), now.Format(timeFormat))
	}
	return nil
}
