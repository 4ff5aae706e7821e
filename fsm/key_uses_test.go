package fsm

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// bufferSink is a raft.SnapshotSink that keeps what a snapshot persists.
type bufferSink struct{ bytes.Buffer }

func (s *bufferSink) ID() string    { return "test" }
func (s *bufferSink) Cancel() error { return nil }
func (s *bufferSink) Close() error  { return nil }

var _ raft.SnapshotSink = (*bufferSink)(nil)

// Last uses live beside the access-key rows (key_uses.go): a use is kept
// only for a key that exists and only when newer, a deleted key's use goes
// with it, and snapshots carry the uses of the moment they were taken.
func TestKeyUsesBesideRows(t *testing.T) {
	const acct = "123456789012"
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	use := func(sec int) KeyUse {
		return KeyUse{Time: at.Add(time.Duration(sec) * time.Second), Service: "iam", Region: "us-east-1"}
	}
	f := New()
	seed(t, f) // root key AKIAROOT
	index := uint64(10)
	must := func(ct CommandType, cmd any) {
		t.Helper()
		index++
		if res := applyCmd(t, f, index, ct, cmd); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	must(CmdCreateUser, CreateUser{User: IAMUser{AccountID: acct, UserID: "AIDAALICE", UserName: "alice", Path: "/", CreateDate: at}})
	for _, id := range []string{"AKIAONE", "AKIATWO"} {
		must(CmdCreateAccessKey, CreateAccessKey{Key: AccessKey{AccessKeyID: id, AccountID: acct, UserID: "AIDAALICE",
			UserName: "alice", Status: "Active", CreateDate: at, SecretCiphertext: []byte{1}}})
	}
	lastUse := func(f *FSM, id string) string {
		t.Helper()
		st := f.State()
		if k := st.AccessKey(id); k != nil && k.LastUsed != nil {
			t.Fatalf("key %s: row holds a use: %+v", id, k.LastUsed)
		}
		if u := st.KeyLastUsed(id); u != nil {
			return u.Time.Sub(at).String()
		}
		return "none"
	}
	check := func(what string, f *FSM, want map[string]string) {
		t.Helper()
		for id, w := range want {
			if got := lastUse(f, id); got != w {
				t.Errorf("%s: key %s last used %s, want %s", what, id, got, w)
			}
		}
	}

	unused := f.Digest()
	must(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIAONE": use(10), "AKIATWO": use(10), "AKIAGONE": use(10)}})
	check("first uses", f, map[string]string{"AKIAONE": "10s", "AKIATWO": "10s", "AKIAGONE": "none", "AKIAROOT": "none"})
	if f.Digest() == unused {
		t.Error("Digest does not cover key uses")
	}
	must(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIAONE": use(5)}})
	check("an older use", f, map[string]string{"AKIAONE": "10s"})
	must(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIAONE": use(20)}})
	check("a newer use", f, map[string]string{"AKIAONE": "20s"})

	snap, err := f.Snapshot() // as raft takes it, on the FSM goroutine
	if err != nil {
		t.Fatal(err)
	}
	must(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIAONE": use(30)}})
	must(CmdDeleteAccessKey, DeleteAccessKey{AccountID: acct, UserID: "AIDAALICE", AccessKeyID: "AKIATWO"})
	check("after the snapshot", f, map[string]string{"AKIAONE": "30s", "AKIATWO": "none"})
	must(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIATWO": use(40)}})
	check("a deleted key's late use", f, map[string]string{"AKIATWO": "none"})

	var sink bufferSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sink.String(), `"LastUsed":{"Time":"2026-12-01T00:00:20Z"`) {
		t.Errorf("the snapshot's access-key rows do not carry their uses:\n%s", sink.String())
	}
	then := New()
	if err := then.Restore(nopCloser{&sink}); err != nil {
		t.Fatal(err)
	}
	check("restored from the earlier snapshot", then, map[string]string{"AKIAONE": "20s", "AKIATWO": "10s"})

	g := restoredCopy(t, f)
	check("restored from the current state", g, map[string]string{"AKIAONE": "30s", "AKIATWO": "none"})
	if g.Digest() != f.Digest() {
		t.Error("the restored state's digest differs")
	}
}

// A snapshot's frozen table shares the live maps until the next write to
// each shard, which copies that shard's map first.
func TestKeyUseTableFreeze(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	live := newKeyUseTable()
	for i := 0; i < 1000; i++ {
		live.set(string(rune('a'+i%26))+strings.Repeat("x", i), KeyUse{Time: at})
	}
	frozen := live.freeze()
	live.set("new", KeyUse{Time: at})
	live.set("a", KeyUse{Time: at.Add(time.Hour)})
	live.drop("b" + strings.Repeat("x", 1))
	if frozen.len() != 1000 || live.len() != 1000 {
		t.Fatalf("frozen %d uses, live %d; want 1000 and 1000", frozen.len(), live.len())
	}
	if _, ok := frozen.get("new"); ok {
		t.Error("a use set after the freeze shows in the frozen table")
	}
	if u, _ := frozen.get("a"); !u.Time.Equal(at) {
		t.Error("a use replaced after the freeze changed in the frozen table")
	}
	if _, ok := frozen.get("b" + strings.Repeat("x", 1)); !ok {
		t.Error("a use dropped after the freeze went from the frozen table")
	}
}
