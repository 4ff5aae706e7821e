// Package keyring holds the node's root key and what is derived from it: the
// AES-256-GCM key that seals secrets before they enter the Raft log, and the
// HMAC key that turns tokens into the only form in which they are stored.
//
// Every node of a cluster holds the same keyring; it is written to a file in
// the data directory (mode 0600), never into the Raft log or snapshots, so a
// copy of the log alone reveals no secret. Imports only the standard library.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"sync"
)

// Keyring seals and opens secrets and computes token HMACs.
type Keyring struct {
	root    []byte
	aead    cipher.AEAD
	hmacKey []byte
	// macs holds HMAC states keyed with hmacKey, reset between uses: every
	// Vault request computes a token HMAC, and hmac.New would redo the key
	// setup (and its allocations) for the same key each time.
	macs sync.Pool
}

// version is the first byte of every sealed value, so keys can be rotated
// later without guessing which key sealed an old value.
const version byte = 1

// Generate returns a keyring with a fresh random root key.
func Generate() *Keyring {
	root := make([]byte, 32)
	if _, err := rand.Read(root); err != nil {
		panic(fmt.Sprintf("keyring: no randomness: %v", err))
	}
	k, err := FromRoot(root)
	if err != nil {
		panic(err)
	}
	return k
}

// FromRoot builds a keyring from a 32-byte root key.
func FromRoot(root []byte) (*Keyring, error) {
	if len(root) != 32 {
		return nil, fmt.Errorf("keyring: root key must be 32 bytes, got %d", len(root))
	}
	encKey, err := hkdf.Key(sha256.New, root, nil, "iamd secret encryption v1", 32)
	if err != nil {
		return nil, err
	}
	macKey, err := hkdf.Key(sha256.New, root, nil, "iamd token hmac v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Keyring{root: append([]byte(nil), root...), aead: aead, hmacKey: macKey}
	k.macs.New = func() any { return hmac.New(sha256.New, k.hmacKey) }
	return k, nil
}

// Seal encrypts plaintext. aad binds the ciphertext to its owner (for
// example the access key ID), so a sealed secret cannot be moved to another
// record.
func (k *Keyring) Seal(plaintext []byte, aad string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("keyring: no randomness: %v", err))
	}
	out := append([]byte{version}, nonce...)
	return k.aead.Seal(out, nonce, plaintext, []byte(aad))
}

// Open decrypts a value made by Seal with the same aad.
func (k *Keyring) Open(sealed []byte, aad string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != version {
		return nil, errors.New("keyring: not a sealed value")
	}
	return k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(aad))
}

// HMAC returns the hex HMAC-SHA256 of s under the token key, prefixed with
// "h" as Vault's salted IDs are.
func (k *Keyring) HMAC(s string) string {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(s))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	k.macs.Put(m)
	var out [1 + 2*sha256.Size]byte
	out[0] = 'h'
	hex.Encode(out[1:], sum[:])
	return string(out[:])
}

type fileFormat struct {
	Version int    `json:"version"`
	Root    string `json:"root"`
}

// FileName is the keyring's file inside a data directory.
const FileName = "keyring.json"

// Load reads the keyring from dir; os.ErrNotExist when there is none yet.
func Load(dir string) (*Keyring, error) {
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	var f fileFormat
	if err := json.Unmarshal(raw, &f); err != nil || f.Version != 1 {
		return nil, fmt.Errorf("keyring %s is corrupt", filepath.Join(dir, FileName))
	}
	root, err := base64.StdEncoding.DecodeString(f.Root)
	if err != nil {
		return nil, fmt.Errorf("keyring %s is corrupt: %v", filepath.Join(dir, FileName), err)
	}
	return FromRoot(root)
}

// Save writes the keyring to dir atomically with mode 0600.
func (k *Keyring) Save(dir string) error {
	raw, err := json.Marshal(fileFormat{Version: 1, Root: base64.StdEncoding.EncodeToString(k.root)})
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, FileName+".tmp")
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, FileName))
}

// Export returns the root key for transfer to a joining node over an
// authenticated channel.
func (k *Keyring) Export() []byte { return append([]byte(nil), k.root...) }
