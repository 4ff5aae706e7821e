package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
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
	k := hmacSHA256([]byte(prefix+secret), yyyymmdd)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, term)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
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
	return s.checkSignature(hmac.New(sha256.New, signingKey))
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
// sign; m is HMAC-SHA256 keyed with the signing key, fresh or reset.
func (s *Signed) checkSignature(m hash.Hash) error {
	m.Write(s.stringToSign)
	var sum [sha256.Size]byte
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], m.Sum(sum[:0]))
	// Constant time, so that response timing reveals nothing about how much
	// of a forged signature was right.
	if !hmac.Equal(want[:], []byte(s.Signature)) {
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
