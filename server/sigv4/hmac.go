package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"hash"
	"sync"
)

// HMAC-SHA256 (RFC 2104) without allocation on the request path.
//
// crypto/hmac sets up two SHA-256 states and two pads for every key, five
// allocations each time; a signing-key derivation keys four HMACs, and
// with many keys in use (a million users signing at random) nearly every
// request derives one. Here a pooled scratch holds one SHA-256 state and
// the buffers, and a cached key keeps its two pad states already hashed,
// so that verifying with it hashes what crypto/hmac's reset state does:
// the message, then one block. hmac_test.go holds both functions to
// crypto/hmac's answers.

const blockSize = 64 // SHA-256's block

type macScratch struct {
	h   hash.Hash
	pad [blockSize]byte
	key []byte // RFC 2104's K': the key, hashed first if longer than a block
	msg []byte
	sum [sha256.Size]byte
}

var scratches = sync.Pool{New: func() any { return &macScratch{h: sha256.New()} }}

func getScratch() *macScratch { return scratches.Get().(*macScratch) }

// put wipes what the scratch held of a key or secret and pools it.
func (sc *macScratch) put() {
	sc.h.Reset()
	clear(sc.pad[:])
	clear(sc.key)
	clear(sc.msg)
	clear(sc.sum[:])
	scratches.Put(sc)
}

func (sc *macScratch) setKey(key []byte) {
	if len(key) > blockSize {
		sc.h.Reset()
		sc.h.Write(key)
		sc.key = sc.h.Sum(sc.key[:0])
		return
	}
	sc.key = append(sc.key[:0], key...)
}

// startPad resets the state and hashes K' xor'ed with p (ipad or opad).
func (sc *macScratch) startPad(p byte) {
	clear(sc.pad[:])
	copy(sc.pad[:], sc.key)
	for i := range sc.pad {
		sc.pad[i] ^= p
	}
	sc.h.Reset()
	sc.h.Write(sc.pad[:])
}

const (
	ipad = 0x36
	opad = 0x5c
)

// mac returns HMAC-SHA256(K', msg), in sc.sum.
func (sc *macScratch) mac(msg []byte) []byte {
	sc.startPad(ipad)
	sc.h.Write(msg)
	inner := sc.h.Sum(sc.sum[:0])
	sc.startPad(opad)
	sc.h.Write(inner) // consumed before Sum overwrites sc.sum
	return sc.h.Sum(sc.sum[:0])
}

// deriveKey is the chain of HMACs of a signing key: the first keyed with
// prefix+secret, each next one with the previous result.
func deriveKey(prefix, secret string, parts ...string) []byte {
	sc := getScratch()
	defer sc.put()
	sc.msg = append(append(sc.msg[:0], prefix...), secret...)
	sc.setKey(sc.msg)
	for _, p := range parts {
		sc.msg = append(sc.msg[:0], p...)
		sc.setKey(sc.mac(sc.msg))
	}
	return bytes.Clone(sc.key)
}

// padStates are a key's two SHA-256 states after hashing K' xor ipad and
// K' xor opad, in encoding.BinaryMarshaler form: an HMAC with the key
// starts from them instead of hashing the pads again.
type padStates struct {
	inner, outer []byte
}

func newPadStates(key []byte) padStates {
	sc := getScratch()
	defer sc.put()
	sc.setKey(key)
	var ps padStates
	sc.startPad(ipad)
	ps.inner, _ = sc.h.(encoding.BinaryMarshaler).MarshalBinary()
	sc.startPad(opad)
	ps.outer, _ = sc.h.(encoding.BinaryMarshaler).MarshalBinary()
	return ps
}

// macInto computes HMAC-SHA256 of msg with the key of ps and hex-encodes it
// into out. ok is false only if a state does not restore, which a state
// this package made always does.
func (ps padStates) macInto(out *[2 * sha256.Size]byte, msg []byte) (ok bool) {
	sc := getScratch()
	defer sc.put()
	u := sc.h.(encoding.BinaryUnmarshaler)
	if u.UnmarshalBinary(ps.inner) != nil {
		return false
	}
	sc.h.Write(msg)
	inner := sc.h.Sum(sc.sum[:0])
	if u.UnmarshalBinary(ps.outer) != nil {
		return false
	}
	sc.h.Write(inner)
	hex.Encode(out[:], sc.h.Sum(sc.sum[:0]))
	return true
}

// equalHex compares a computed hex signature with the request's in
// constant time, so that response timing reveals nothing about how much
// of a forged signature was right.
func equalHex(want []byte, got string) bool {
	if len(want) != len(got) {
		return false
	}
	var diff byte
	for i := range want {
		diff |= want[i] ^ got[i]
	}
	return diff == 0
}
