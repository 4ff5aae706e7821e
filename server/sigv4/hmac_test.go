package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

func stdHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// The pooled HMAC agrees with crypto/hmac for keys and messages of every
// length around the block size and the digest size, including keys longer
// than a block (hashed first) and empty ones.
func TestHMACMatchesCryptoHMAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	lengths := []int{0, 1, 31, 32, 33, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 200}
	for _, kl := range lengths {
		for _, ml := range lengths {
			key, msg := random(kl), random(ml)
			want := stdHMAC(key, msg)

			sc := getScratch()
			sc.setKey(key)
			if got := sc.mac(msg); !bytes.Equal(got, want) {
				t.Fatalf("mac (key %d, msg %d bytes) = %x, want %x", kl, ml, got, want)
			}
			sc.put()

			var out [2 * sha256.Size]byte
			if !newPadStates(key).macInto(&out, msg) || string(out[:]) != hex.EncodeToString(want) {
				t.Fatalf("macInto (key %d, msg %d bytes) = %s, want %x", kl, ml, out, want)
			}
		}
	}
}

// The derivation is SigV4's chain of crypto/hmac HMACs, for AWS's 40-byte
// secrets and for secrets long enough that "AWS4"+secret exceeds a block.
func TestDeriveKeyMatchesHMACChain(t *testing.T) {
	for _, secret := range []string{"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", string(bytes.Repeat([]byte("s"), 128))} {
		k := stdHMAC([]byte("AWS4"+secret), []byte("20261123"))
		for _, p := range []string{"eu-west-3", "iam", "aws4_request"} {
			k = stdHMAC(k, []byte(p))
		}
		if got := SigningKey(secret, "20261123", "eu-west-3", "iam"); !bytes.Equal(got, k) {
			t.Errorf("SigningKey (secret of %d bytes) = %x, want %x", len(secret), got, k)
		}
	}
	// AWS's published example (docs: "Examples of how to derive a signing
	// key for Signature Version 4").
	got := SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
	if want := "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"; hex.EncodeToString(got) != want {
		t.Errorf("AWS example key = %x, want %s", got, want)
	}
}

func TestEqualHex(t *testing.T) {
	want := []byte("0a1b")
	for got, ok := range map[string]bool{"0a1b": true, "0a1c": false, "0a1": false, "0a1b0": false, "": false} {
		if equalHex(want, got) != ok {
			t.Errorf("equalHex(%q, %q) = %v", want, got, !ok)
		}
	}
}

// Deriving a key allocates only the key; verifying with a cached key's pad
// states allocates nothing.
func TestHMACAllocations(t *testing.T) {
	if raceDetector {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	if n := testing.AllocsPerRun(100, func() { SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20261123", "eu-west-3", "iam") }); n > 1 {
		t.Errorf("SigningKey allocates %v times", n)
	}
	ps := newPadStates([]byte("0123456789abcdef0123456789abcdef"))
	msg := []byte("AWS4-HMAC-SHA256\n20261123T000000Z\n20261123/eu-west-3/iam/aws4_request\n" + hex.EncodeToString(make([]byte, 32)))
	var out [2 * sha256.Size]byte
	if n := testing.AllocsPerRun(100, func() { ps.macInto(&out, msg) }); n != 0 {
		t.Errorf("macInto allocates %v times", n)
	}
}

// A scratch goes back to the pool holding nothing of the key or secret it
// worked with.
func TestScratchWipedWhenPooled(t *testing.T) {
	sc := &macScratch{h: sha256.New()}
	sc.msg = append(sc.msg, "AWS4secret"...)
	sc.setKey(sc.msg)
	sc.mac([]byte("20261123"))
	sc.put()
	for _, b := range [][]byte{sc.pad[:], sc.key, sc.msg, sc.sum[:]} {
		if !bytes.Equal(b, make([]byte, len(b))) {
			t.Fatalf("pooled scratch still holds %x", b)
		}
	}
}
