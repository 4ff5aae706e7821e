package fsm

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// applyCmd feeds one command through FSM.Apply as raft would.
func applyCmd(t *testing.T, f *FSM, index uint64, ct CommandType, cmd any) *Result {
	t.Helper()
	entry, err := Encode(ct, cmd)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: entry}).(*Result)
	if res == nil {
		t.Fatalf("Apply returned no result")
	}
	return res
}

func seed(t *testing.T, f *FSM) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	res := applyCmd(t, f, 1, CmdInitCluster, InitCluster{
		ClusterID: "c1", ClusterName: "test", Time: now,
		RootToken: Token{HMAC: "hroot", Accessor: "acc-root", Policies: []string{"root"}, Orphan: true, CreationTime: now},
		Account:   Account{ID: "123456789012", Name: "default", CreatedAt: now},
		RootKey:   AccessKey{AccessKeyID: "AKIAROOT", AccountID: "123456789012", Status: "Active", SecretCiphertext: []byte{1, 2, 3}},
	})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	child := Token{HMAC: "hchild", Accessor: "acc-child", ParentAccessor: "acc-root", Policies: []string{"default"},
		CreationTime: now, ExpireTime: now.Add(time.Hour), Meta: map[string]string{"k": "v"}}
	if res := applyCmd(t, f, 2, CmdCreateToken, CreateToken{Token: child}); res.Err != nil {
		t.Fatal(res.Err)
	}
	mount := AuthMount{Path: "userpass/", Type: "userpass", Accessor: "auth_userpass_12345678", CreatedAt: now}
	if res := applyCmd(t, f, 3, CmdEnableAuth, EnableAuth{Mount: mount}); res.Err != nil {
		t.Fatal(res.Err)
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	f := New()
	seed(t, f)
	var buf bytes.Buffer
	if err := f.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hvs.") {
		t.Fatal("snapshot holds a clear token")
	}
	g := New()
	if err := g.Restore(nopCloser{&buf}); err != nil {
		t.Fatal(err)
	}
	if f.Digest() != g.Digest() {
		t.Fatal("state after restore differs from state before")
	}
	if g.AppliedIndex() != 3 {
		t.Fatalf("restored applied index %d", g.AppliedIndex())
	}
	st := g.State()
	if st.TokenByAccessor("acc-child").Meta["k"] != "v" || st.AuthMount("userpass/") == nil || st.AccessKey("AKIAROOT") == nil {
		t.Fatal("restored rows are incomplete")
	}
	// Every registered table appears in the snapshot format's table list.
	for _, name := range tableNames() {
		if _, ok := tables[name]; !ok {
			t.Fatalf("table %s unregistered", name)
		}
	}
}

func TestRestoreRejectsGarbage(t *testing.T) {
	f := New()
	seed(t, f)
	before := f.Digest()
	for _, in := range []string{"", "{}", `{"format":"iamd-fsm","version":1}` + "\n" + `{"t":"nope","o":{}}`, `{"format":"iamd-fsm","version":1}` + "\n{garbage"} {
		if err := f.Restore(nopCloser{strings.NewReader(in)}); err == nil {
			t.Fatalf("restore accepted %q", in)
		}
		if f.Digest() != before {
			t.Fatal("failed restore changed the state")
		}
	}
}

func TestInvariantsDecidedInApply(t *testing.T) {
	f := New()
	seed(t, f)
	if res := applyCmd(t, f, 4, CmdInitCluster, InitCluster{ClusterID: "c2"}); res.Err == nil {
		t.Fatal("second init applied")
	}
	dup := AuthMount{Path: "userpass/", Type: "userpass", Accessor: "auth_userpass_87654321"}
	if res := applyCmd(t, f, 5, CmdEnableAuth, EnableAuth{Mount: dup}); res.Err == nil {
		t.Fatal("duplicate mount path applied")
	}
	orphaned := Token{HMAC: "hx", Accessor: "acc-x", ParentAccessor: "acc-gone"}
	if res := applyCmd(t, f, 6, CmdCreateToken, CreateToken{Token: orphaned}); res.Err == nil {
		t.Fatal("token with a revoked parent applied")
	}
	if res := applyCmd(t, f, 7, CmdRevokeToken, RevokeToken{Accessor: "acc-root"}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if f.State().TokenByAccessor("acc-child") != nil {
		t.Fatal("child outlived its revoked parent")
	}
	if f.AppliedIndex() != 7 {
		t.Fatalf("applied index %d", f.AppliedIndex())
	}
}

func TestUnknownCommandIsRefused(t *testing.T) {
	f := New()
	entry := []byte{0xff, 0xff, '{', '}'}
	res := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: entry}).(*Result)
	if res.Err == nil {
		t.Fatal("unknown command applied")
	}
}

type nopCloser struct {
	r interface{ Read([]byte) (int, error) }
}

func (n nopCloser) Read(p []byte) (int, error) { return n.r.Read(p) }
func (n nopCloser) Close() error               { return nil }

// Restores raise the collector's target while any of them runs and put
// back the one they found, however they overlap, after one collection at
// the raised target.
func TestCollectLessOftenNests(t *testing.T) {
	restoring.settling.Wait() // an earlier test's restore may still be settling
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	first := collectLessOften()
	second := collectLessOften()
	if got := debug.SetGCPercent(-1); got != restoreGCPercent {
		t.Fatalf("during a restore the target is %d, want %d", got, restoreGCPercent)
	}
	debug.SetGCPercent(restoreGCPercent)
	first()
	restoring.settling.Wait()
	if got := debug.SetGCPercent(restoreGCPercent); got != restoreGCPercent {
		t.Fatalf("with one restore still running the target is %d, want %d", got, restoreGCPercent)
	}
	var before, after debug.GCStats
	debug.ReadGCStats(&before)
	second()
	restoring.settling.Wait()
	debug.ReadGCStats(&after)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after the restores the target is %d, want 100", got)
	}
	if after.NumGC == before.NumGC {
		t.Fatal("the target was put back without a collection at the raised one")
	}

	debug.SetGCPercent(1000) // GOGC=1000: already collecting less often
	done := collectLessOften()
	if got := debug.SetGCPercent(1000); got != 1000 {
		t.Fatalf("a restore lowered the target from 1000 to %d", got)
	}
	done()
	restoring.settling.Wait()
	if got := debug.SetGCPercent(100); got != 1000 {
		t.Fatalf("after a restore the target is %d, want 1000", got)
	}
}
