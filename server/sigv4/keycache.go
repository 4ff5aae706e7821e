package sigv4

import (
	"crypto/sha256"
	"hash/maphash"
	"sync"
	"time"
)

// KeyCache memoises SigningKey. A key depends on the secret, day, region and
// service, so one entry serves every request a client makes that day; the
// four HMACs it saves are most of Verify's cost for a small body.
//
// Entries are keyed by a SHA-256 fingerprint of the secret rather than the
// secret itself, so the cache holds no secret, and a rotated secret simply
// misses (the stale entry ages out). The cache is split into shards, each with
// its own lock, so concurrent hits on different keys do not contend on one
// mutex; a hit takes a read lock only. Each key keeps its HMAC pad states
// already hashed (hmac.go), so Verify hashes only the string to sign.
type KeyCache struct {
	seed     maphash.Seed
	perShard int
	shards   []keyShard
}

type keyShard struct {
	mu sync.RWMutex
	m  map[cacheKey]*cachedKey
}

// cachedKey is a signing key and its HMAC pad states.
type cachedKey struct {
	key  []byte
	pads padStates
}

type cacheKey struct {
	akid, date, region, service string
	osc4                        bool
	secret                      [sha256.Size]byte
}

const maxShards = 16

// NewKeyCache returns a cache holding at most size keys (at least one).
func NewKeyCache(size int) *KeyCache {
	size = max(size, 1)
	n := maxShards
	if size < n {
		n = 1
	}
	c := &KeyCache{seed: maphash.MakeSeed(), perShard: size / n, shards: make([]keyShard, n)}
	for i := range c.shards {
		c.shards[i].m = make(map[cacheKey]*cachedKey)
	}
	return c
}

// Get returns SigningKey(secret, date, region, service), computing it on a
// miss. The returned slice is shared: callers must not modify it.
func (c *KeyCache) Get(akid, secret, date, region, service string) []byte {
	return c.get(false, akid, secret, date, region, service).key
}

// Verify is s.Verify with the key s was made with (SigV4's, or OUTSCALE's
// for an OSC4 signature), given the secret of s.AccessKeyID, from the
// cache, and a reused HMAC state keyed with it.
func (c *KeyCache) Verify(s *Signed, secret, service string, now time.Time) error {
	if err := s.precheck(service, now); err != nil {
		return err
	}
	k := c.get(s.OSC4, s.AccessKeyID, secret, s.ScopeDate, s.Region, s.Service)
	return s.checkSignature(k.pads)
}

func (c *KeyCache) get(osc4 bool, akid, secret, date, region, service string) *cachedKey {
	// Copying into a stack buffer avoids a heap copy of the secret for any
	// secret up to 64 bytes (AWS's are 40).
	var buf [64]byte
	k := cacheKey{akid: akid, date: date, region: region, service: service, osc4: osc4, secret: sha256.Sum256(append(buf[:0], secret...))}
	sh := &c.shards[maphash.String(c.seed, akid)%uint64(len(c.shards))]
	sh.mu.RLock()
	ck, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok {
		return ck
	}
	ck = &cachedKey{key: signingKey(osc4, secret, date, region, service)}
	ck.pads = newPadStates(ck.key)
	sh.mu.Lock()
	if len(sh.m) >= c.perShard {
		// Evict an arbitrary entry (map order is unspecified). Keys go stale
		// at midnight UTC anyway, so recency tracking would buy little.
		for old := range sh.m {
			delete(sh.m, old)
			break
		}
	}
	sh.m[k] = ck
	sh.mu.Unlock()
	return ck
}

// Len reports how many keys the cache holds.
func (c *KeyCache) Len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}
