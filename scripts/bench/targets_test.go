package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"iamd/server/sigv4"
)

// TestSignedAheadPool sends a signed-ahead pool to three servers that check
// each request as iamd does (sigv4.Parse and a full Verify against the
// clock): every request must verify at the node it was signed for, the
// requests of a node must be distinct, and a request changed after signing
// must fail, so that the pool measures authentication and not a replay of
// something the server does not check.
func TestSignedAheadPool(t *testing.T) {
	const ak, sk, users = "AKIABENCHTEST0000001", "benchsecretbenchsecretbenchsecretbench00", 50
	keys := sigv4.NewKeyCache(16)
	var mu sync.Mutex
	seen := map[string]map[string]int{} // node host -> body -> count
	var nodes []*iamdNode
	for range 3 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			s, err := sigv4.Parse(r, body)
			if err == nil {
				err = keys.Verify(s, sk, "iam", time.Now())
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
			mu.Lock()
			if seen[r.Host] == nil {
				seen[r.Host] = map[string]int{}
			}
			seen[r.Host][string(body)]++
			mu.Unlock()
		}))
		defer srv.Close()
		nodes = append(nodes, &iamdNode{api: srv.URL})
	}
	ic := &iamdCluster{nodes: nodes, http: &http.Client{Timeout: 10 * time.Second}}

	pool, err := signGetUserPool(ic, newAWSSigner(ak, sk), users)
	if err != nil {
		t.Fatal(err)
	}
	if len(pool) != 3 {
		t.Fatalf("pool for %d nodes, want 3", len(pool))
	}
	send := iamGetUserSigned(ic, pool)
	for c := range 6 {
		for i := range 2 * users {
			if err := send(c, i); err != nil {
				t.Fatalf("client %d request %d: %v", c, i, err)
			}
		}
	}
	for _, n := range nodes {
		host := strings.TrimPrefix(n.api, "http://")
		if got := len(seen[host]); got != users {
			t.Errorf("%s received %d distinct requests, want one per user (%d)", host, got, users)
		}
	}

	// A request whose body changed after signing must not verify.
	e := &pool[0][0]
	e.body = []byte(strings.Replace(string(e.body), "UserName=u", "UserName=x", 1))
	if err := send(0, 0); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("tampered request: %v, want a 403", err)
	}
}
