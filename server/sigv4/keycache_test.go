package sigv4_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"iamd/server/sigv4"
)

func TestKeyCacheMatchesSigningKey(t *testing.T) {
	c := sigv4.NewKeyCache(8)
	want := sigv4.SigningKey(secret, "20261123", region, "iam")
	for range 3 {
		if got := c.Get(akid, secret, "20261123", region, "iam"); !bytes.Equal(got, want) {
			t.Fatalf("Get = %x, want %x", got, want)
		}
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d after repeated hits", c.Len())
	}
	// A rotated secret must not be served the old key.
	if got := c.Get(akid, otherSecret, "20261123", region, "iam"); !bytes.Equal(got, sigv4.SigningKey(otherSecret, "20261123", region, "iam")) {
		t.Error("key for the new secret differs from SigningKey")
	}
	// Every part of the scope is part of the key.
	for _, scope := range [][3]string{{"20261124", region, "iam"}, {"20261123", "us-east-1", "iam"}, {"20261123", region, "sts"}} {
		got := c.Get(akid, secret, scope[0], scope[1], scope[2])
		if !bytes.Equal(got, sigv4.SigningKey(secret, scope[0], scope[1], scope[2])) || bytes.Equal(got, want) {
			t.Errorf("scope %v: wrong key", scope)
		}
	}
}

func TestKeyCacheBounded(t *testing.T) {
	for _, size := range []int{0, 1, 3, 16, 100} {
		c := sigv4.NewKeyCache(size)
		for i := range 1000 {
			c.Get(fmt.Sprintf("AKIA%016d", i), secret, "20261123", region, "iam")
		}
		if n := c.Len(); n > max(size, 1) || n == 0 {
			t.Errorf("NewKeyCache(%d) holds %d keys", size, n)
		}
	}
}

// TestKeyCacheConcurrent is meant for -race: hits and misses from many
// goroutines on overlapping keys.
func TestKeyCacheConcurrent(t *testing.T) {
	c := sigv4.NewKeyCache(32)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				id := fmt.Sprintf("AKIA%016d", (i*7+g)%48)
				got := c.Get(id, secret+id, "20261123", region, "sts")
				if !bytes.Equal(got, sigv4.SigningKey(secret+id, "20261123", region, "sts")) {
					t.Errorf("%s: wrong key", id)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestKeyCacheVerifyConcurrent is meant for -race: goroutines share one
// cached key's HMAC states, good and forged signatures interleaved, and
// each state must start clean (a leftover write would fail good ones).
func TestKeyCacheVerifyConcurrent(t *testing.T) {
	srv := newCaptureServer(t)
	good := srv.do(t, sdkPOST(t, srv, formIAM, akid, "iam"))
	forged := srv.do(t, sdkPOST(t, srv, formIAM, akid, "iam"))
	auth := forged.r.Header.Get("Authorization") // ends with the signature: change its last digit
	last := "0"
	if strings.HasSuffix(auth, last) {
		last = "1"
	}
	forged.r.Header.Set("Authorization", auth[:len(auth)-1]+last)
	sg, err := sigv4.Parse(good.r, good.body)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := sigv4.Parse(forged.r, forged.body)
	if err != nil {
		t.Fatal(err)
	}
	c := sigv4.NewKeyCache(8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				if (i+g)%3 == 0 {
					if err := c.Verify(sf, secret, "iam", t0); codeOf(err) != "SignatureDoesNotMatch" {
						t.Errorf("forged signature: %v", err)
						return
					}
				} else if err := c.Verify(sg, secret, "iam", t0); err != nil {
					t.Errorf("good signature: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
