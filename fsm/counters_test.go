package fsm

import (
	"bytes"
	"fmt"
	"testing"

	"iamd/iamerr"
)

const testAcct = "123456789012"

// TestAccountQuotaCounters: the per-account counters follow creates and
// deletes, the quota is decided from them (and frees up after a delete),
// and a snapshot round trip keeps them, also when the snapshot carries none.
func TestAccountQuotaCounters(t *testing.T) {
	f := New()
	seed(t, f)
	idx := uint64(10)
	next := func() uint64 { idx++; return idx }
	for i := 0; i < MaxGroupsPerAccount; i++ {
		g := IAMGroup{AccountID: testAcct, GroupID: fmt.Sprintf("AGPA%017d", i), GroupName: fmt.Sprintf("g%d", i), Path: "/"}
		if res := applyCmd(t, f, next(), CmdCreateGroup, CreateGroup{Group: g}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	over := IAMGroup{AccountID: testAcct, GroupID: "AGPAOVER", GroupName: "over", Path: "/"}
	res := applyCmd(t, f, next(), CmdCreateGroup, CreateGroup{Group: over})
	if e := iamerr.As(res.Err); res.Err == nil || e.Code != "LimitExceeded" {
		t.Fatalf("group %d: %v, want LimitExceeded", MaxGroupsPerAccount+1, res.Err)
	}
	if res := applyCmd(t, f, next(), CmdDeleteGroup, DeleteGroup{AccountID: testAcct, GroupID: "AGPA00000000000000000", Name: "g0"}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := applyCmd(t, f, next(), CmdCreateGroup, CreateGroup{Group: over}); res.Err != nil {
		t.Fatalf("create after a delete freed the quota: %v", res.Err)
	}

	for i := 0; i < 5; i++ {
		u := IAMUser{AccountID: testAcct, UserID: fmt.Sprintf("AIDA%017d", i), UserName: fmt.Sprintf("u%d", i), Path: "/"}
		if res := applyCmd(t, f, next(), CmdCreateUser, CreateUser{User: u}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	dup := IAMUser{AccountID: testAcct, UserID: "AIDADUP", UserName: "U1", Path: "/"}
	if res := applyCmd(t, f, next(), CmdCreateUser, CreateUser{User: dup}); res.Err == nil {
		t.Fatal("duplicate user name accepted")
	}
	if res := applyCmd(t, f, next(), CmdDeleteUser, DeleteUser{AccountID: testAcct, UserID: "AIDA00000000000000003", Name: "u3"}); res.Err != nil {
		t.Fatal(res.Err)
	}
	check := func(f *FSM, what string) {
		t.Helper()
		tx := &txn{Txn: f.store.Load().db.Txn(false)}
		if got, want := accountCount(tx, tableIAMUsers, testAcct), count(tx, tableIAMUsers, "name_prefix", testAcct, ""); got != want || got != 4 {
			t.Fatalf("%s: users counter %d, rows %d, want 4", what, got, want)
		}
		if got := accountCount(tx, tableIAMGroups, testAcct); got != MaxGroupsPerAccount {
			t.Fatalf("%s: groups counter %d, want %d", what, got, MaxGroupsPerAccount)
		}
	}
	check(f, "after applies")

	var buf bytes.Buffer
	if err := f.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(counterKey(tableIAMUsers, testAcct))) {
		t.Fatal("snapshot has no counters")
	}
	g := New()
	if err := g.Restore(nopCloser{&buf}); err != nil {
		t.Fatal(err)
	}
	if f.Digest() != g.Digest() {
		t.Fatal("state after restore differs from state before")
	}
	check(g, "after restore")

	// A snapshot from before the counters table: Restore recounts.
	tx := f.store.Load().db.Txn(true)
	if _, err := tx.DeleteAll(tableCounters, "id"); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	buf.Reset()
	if err := f.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	h := New()
	if err := h.Restore(nopCloser{&buf}); err != nil {
		t.Fatal(err)
	}
	check(h, "after restoring a snapshot without counters")
	if res := applyCmd(t, h, next(), CmdCreateGroup, CreateGroup{Group: IAMGroup{AccountID: testAcct, GroupID: "AGPAMORE", GroupName: "more", Path: "/"}}); res.Err == nil {
		t.Fatal("quota not enforced after restoring a snapshot without counters")
	}
}
