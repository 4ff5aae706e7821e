package fsm

import (
	"fmt"
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
