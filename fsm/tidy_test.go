package fsm

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A sweep in pages visits every token once and removes exactly the
// expired ones; Limit 0 is the whole table in one entry, as before.
func TestTidyTokensPages(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	build := func() (*FSM, *uint64) {
		f := New()
		seed(t, f) // a root token and a child expiring at now+1h
		idx := uint64(10)
		for i := 0; i < 10; i++ {
			expire := now.Add(-time.Minute)
			if i%2 == 1 {
				expire = now.Add(2 * time.Hour)
			}
			idx++
			if res := applyCmd(t, f, idx, CmdCreateToken, CreateToken{Token: Token{HMAC: fmt.Sprintf("t%02d", i),
				Accessor: fmt.Sprintf("a%02d", i), Orphan: true, CreationTime: now.Add(-time.Hour), ExpireTime: expire}}); res.Err != nil {
				t.Fatal(res.Err)
			}
		}
		return f, &idx
	}
	check := func(f *FSM, removed int) {
		t.Helper()
		if removed != 5 {
			t.Errorf("removed %d tokens, want 5", removed)
		}
		for i := 0; i < 10; i++ {
			if kept := f.State().TokenByAccessor(fmt.Sprintf("a%02d", i)) != nil; kept != (i%2 == 1) {
				t.Errorf("token %d kept: %v", i, kept)
			}
		}
		if f.State().TokenByAccessor("acc-root") == nil || f.State().TokenByAccessor("acc-child") == nil {
			t.Error("a token that has not expired was removed")
		}
	}

	f, idx := build()
	*idx++
	res := applyCmd(t, f, *idx, CmdTidyTokens, TidyTokens{Time: now})
	if r := res.Value.(TidyResult); res.Err != nil || r.Next != "" {
		t.Fatalf("whole-table sweep: %+v %v", r, res.Err)
	} else {
		check(f, r.Removed)
	}

	f, idx = build()
	cmd, removed, entries := TidyTokens{Time: now, Limit: 3}, 0, 0
	for {
		*idx++
		entries++
		res := applyCmd(t, f, *idx, CmdTidyTokens, cmd)
		if res.Err != nil || entries > 10 {
			t.Fatalf("entry %d: %v", entries, res.Err)
		}
		r := res.Value.(TidyResult)
		removed += r.Removed
		if r.Next == "" {
			break
		}
		if r.Next <= cmd.After {
			t.Fatalf("the sweep went back: %q after %q", r.Next, cmd.After)
		}
		cmd.After = r.Next
	}
	if entries != 4 { // 12 tokens, 3 per entry
		t.Errorf("%d entries for 12 tokens at 3 per entry", entries)
	}
	check(f, removed)
}

// Tidy removes each expired token with every descendant, expired or not,
// once, and counts the expired tokens it found.
func TestTidyTokensRemovesTrees(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := New()
	idx := uint64(0)
	tree := []struct{ name, parent string }{ // parents first; "x" = expired
		{"px", ""}, {"c1", "px"}, {"g1x", "c1"}, {"c2", "px"},
		{"q", ""}, {"c3x", "q"}, {"g3", "c3x"}, {"g4x", "c3x"},
	}
	for _, n := range tree {
		expire := now.Add(time.Hour)
		if strings.HasSuffix(n.name, "x") {
			expire = now.Add(-time.Minute)
		}
		idx++
		tok := Token{HMAC: "h-" + n.name, Accessor: n.name, ParentAccessor: n.parent, Orphan: n.parent == "",
			CreationTime: now.Add(-time.Hour), ExpireTime: expire}
		if res := applyCmd(t, f, idx, CmdCreateToken, CreateToken{Token: tok}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	idx++
	res := applyCmd(t, f, idx, CmdTidyTokens, TidyTokens{Time: now})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if r := res.Value.(TidyResult); r.Removed != 4 {
		t.Errorf("removed %d, want the 4 expired tokens", r.Removed)
	}
	var left []string
	for _, tok := range f.State().Tokens() {
		left = append(left, tok.Accessor)
	}
	if got := strings.Join(left, ","); got != "q" {
		t.Errorf("tokens left: %s, want q", got)
	}
}
