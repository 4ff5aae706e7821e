package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString draws n characters uniformly from alphabet.
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	buf := make([]byte, n*2)
	limit := 256 - 256%len(alphabet) // reject to avoid modulo bias
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("no randomness: %v", err))
		}
		for _, b := range buf {
			if int(b) < limit && i < n {
				out[i] = alphabet[int(b)%len(alphabet)]
				i++
			}
		}
	}
	return string(out)
}

// newUUID returns a Vault-style ID: 16 random bytes as lowercase hex in
// 8-4-4-4-12 groups, go-uuid's format (ParseUUID reads it back). It is
// formatted here because go-uuid's FormatUUID goes through fmt.Sprintf,
// and every request mints one id: this is one allocation instead of eight.
func newUUID() string { return formatUUID(random16()) }

func random16() (b [16]byte) {
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("no randomness: %v", err))
	}
	return b
}

func formatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

func newTokenID() string  { return "hvs." + randomString(24, base62) }
func newAccessor() string { return randomString(24, base62) }

// newHex8 returns 8 lowercase hex digits, as in Vault mount accessors.
func newHex8() string { return randomString(8, "0123456789abcdef") }

// newAccessKeyID returns an AWS-style key ID with the given prefix (AKIA,
// ASIA, ABIA) followed by 16 upper-case letters and digits.
func newAccessKeyID(prefix string) string {
	return prefix + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
}

// newSecretAccessKey returns a 40-character secret as AWS issues them.
func newSecretAccessKey() string {
	return randomString(40, base62+"+/")
}

func newAccountID() string {
	return randomString(1, "123456789") + randomString(11, "0123456789")
}

// NewRequestID returns an ID for a request: a random (version 4) UUID, as
// spec/aws-iam.md 1.3 asks of the AWS RequestId; Vault clients read its
// request_id as opaque, in the same 8-4-4-4-12 form.
func NewRequestID() string {
	b := random16()
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(b)
}
