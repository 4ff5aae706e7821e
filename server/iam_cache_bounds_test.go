package server

import (
	"fmt"
	"testing"
	"time"
)

func syncMapLen(r interface{ Range(func(k, v any) bool) }) int {
	n := 0
	r.Range(func(_, _ any) bool { n++; return true })
	return n
}

// TestSecretCacheBounded: storing far more secrets than the cap keeps the
// cache (and its count) at or under the cap, and the newest secret stays.
func TestSecretCacheBounded(t *testing.T) {
	defer func(n int) { SecretCacheSize = n }(SecretCacheSize)
	SecretCacheSize = 64
	var c secretCache
	for i := 0; i < 10*SecretCacheSize; i++ {
		id := fmt.Sprintf("AKIA%016d", i)
		c.store(id, &openSecret{secret: id})
		if got := syncMapLen(&c.m); got > SecretCacheSize || got != c.len() {
			t.Fatalf("after %d stores: %d entries (count %d), cap %d", i+1, got, c.len(), SecretCacheSize)
		}
		if o, ok := c.load(id); !ok || o.secret != id {
			t.Fatalf("just-stored secret %s missing", id)
		}
	}
	c.store("AKIA0000000000000000", &openSecret{secret: "again"}) // replacing does not grow
	c.remove("AKIA0000000000000000")
	c.remove("AKIA0000000000000000")
	if got := syncMapLen(&c.m); got != c.len() {
		t.Fatalf("count %d, entries %d", c.len(), got)
	}
}

// TestKeyUseSlotsBounded: uses of many distinct keys never hold more than
// KeyUseSlots slots; a full table of unpublished uses asks for a flush, is
// not swept again until it has run, and once they are published their
// slots make room for new keys.
func TestKeyUseSlotsBounded(t *testing.T) {
	defer func(n int) { KeyUseSlots = n }(KeyUseSlots)
	KeyUseSlots = 16
	n := &Node{}
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 20*KeyUseSlots; i++ {
		n.recordKeyUse(fmt.Sprintf("AKIA%016d", i), now, "iam", "us-east-1")
		if got := syncMapLen(&n.iam.uses.m); got > KeyUseSlots || got != n.iam.uses.len() {
			t.Fatalf("after %d keys: %d slots (count %d), cap %d", i+1, got, n.iam.uses.len(), KeyUseSlots)
		}
	}
	select {
	case <-n.iam.uses.kicks():
	default:
		t.Fatal("a full table of unpublished uses did not ask for a flush")
	}
	// What FlushKeyUses does after its command applied.
	n.iam.uses.m.Range(func(_, v any) bool {
		s := v.(*keyUseSlot)
		s.flushed.Store(s.last.Load())
		return true
	})
	late := "AKIALATE000000000000"
	// Until the flush has returned, new keys do not sweep the table again
	// (once per flush, not once per request).
	n.recordKeyUse(late, now, "sts", "eu-west-1")
	if _, ok := n.iam.uses.load(late); ok {
		t.Fatal("a new key swept the full table again before the flush returned")
	}
	n.iam.uses.full.Store(false) // FlushKeyUses' return
	n.recordKeyUse(late, now, "sts", "eu-west-1")
	s, ok := n.iam.uses.load(late)
	if !ok || s.last.Load() == nil || s.last.Load().Service != "sts" {
		t.Fatal("published slots were not dropped to make room for a new key's use")
	}
	if got := syncMapLen(&n.iam.uses.m); got > KeyUseSlots {
		t.Fatalf("%d slots, cap %d", got, KeyUseSlots)
	}
}
