package server

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"iamd/fsm"
)

// The leader's token sweep removes every expired token, and only those, in
// entries of TidyTokensPerEntry tokens rather than one entry for the table.
func TestTidyTokensSweepsInBoundedEntries(t *testing.T) {
	defer func(n int) { TidyTokensPerEntry = n }(TidyTokensPerEntry)
	TidyTokensPerEntry = 3
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := startNode(t, testConfig(t, filepath.Join(t.TempDir(), "n1")))
	defer n.Shutdown()
	initNode(t, ctx, n)
	now := n.now()
	for i := 0; i < 10; i++ {
		expire := now.Add(-time.Minute) // even: expired; odd: an hour left
		if i%2 == 1 {
			expire = now.Add(time.Hour)
		}
		tok := fsm.Token{HMAC: fmt.Sprintf("tidy-h%02d", i), Accessor: fmt.Sprintf("tidy-a%02d", i), Policies: []string{"default"},
			Orphan: true, CreationTime: now.Add(-2 * time.Minute), ExpireTime: expire}
		if _, err := n.apply(ctx, fsm.CmdCreateToken, fsm.CreateToken{Token: tok}); err != nil {
			t.Fatal(err)
		}
	}
	tokens := len(n.State().Tokens()) // the 10 and the root token
	before := n.fsm.AppliedIndex()
	n.tidyTokens()
	for i := 0; i < 10; i++ {
		kept := n.State().TokenByAccessor(fmt.Sprintf("tidy-a%02d", i)) != nil
		if kept != (i%2 == 1) {
			t.Errorf("token %d: kept %v after the sweep", i, kept)
		}
	}
	if entries, want := n.fsm.AppliedIndex()-before, uint64((tokens+2)/3); entries < want {
		t.Fatalf("%d tokens swept in %d entries, want %d of at most 3", tokens, entries, want)
	}
}
