package server

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"iamd/iamerr"
)

func startDevNode(t *testing.T) *Node {
	t.Helper()
	n, err := New(Options{Dev: &DevOptions{ListenAddress: "127.0.0.1:0", RootTokenID: "root"},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown() })
	return n
}

// Twenty clients race to mount the same path: the FSM lets exactly one win.
func TestConcurrentCreatesOfTheSameNameOneWins(t *testing.T) {
	n := startDevNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = n.EnableAuth(ctx, EnableAuthRequest{Path: "userpass", Type: "userpass"})
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !iamerr.Is(err, iamerr.Invalid):
			t.Fatalf("unexpected error kind: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d creates won, want exactly 1", wins)
	}
	if len(n.State().AuthMountsOfType("userpass")) != 1 {
		t.Fatal("more than one userpass mount stored")
	}
}

// A token with one use left cannot be spent twice, even concurrently.
func TestLimitedUseTokenSpentOnce(t *testing.T) {
	n := startDevNode(t)
	ctx := context.Background()
	root, err := n.Authenticate(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := n.CreateToken(ctx, root, TokenRequest{NumUses: 3})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := n.Authenticate(ctx, issued.ID); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 3 {
		t.Fatalf("token with 3 uses authenticated %d times", ok)
	}
}
