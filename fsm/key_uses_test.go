package fsm

import (
	"bytes"
	"fmt"
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
	f, must := keyUseFixture(t, acct, at)
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

// RecordKeyUseGroups carries uses grouped by second, service and region,
// applies them as RecordKeyUse does (newer only, existing keys only), and
// mixes with RecordKeyUse entries still in a log.
func TestRecordKeyUseGroups(t *testing.T) {
	const acct = "123456789012"
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	use := func(sec int, service string) KeyUse {
		return KeyUse{Time: at.Add(time.Duration(sec) * time.Second), Service: service, Region: "us-east-1"}
	}

	var cmd RecordKeyUseGroups
	cmd.Add("AKIAONE", use(10, "iam"))
	cmd.Add("AKIATWO", use(10, "iam"))
	cmd.Add("AKIAGONE", use(10, "iam"))
	cmd.Add("AKIAROOT", use(10, "sts"))
	if len(cmd.Groups) != 2 || len(cmd.Groups[0].Keys) != 3 || cmd.Groups[1].Keys[0] != "AKIAROOT" || cmd.Len() != 4 {
		t.Fatalf("groups: %+v", cmd.Groups)
	}

	f, must := keyUseFixture(t, acct, at)
	check := func(what string, want map[string]string) {
		t.Helper()
		st := f.State()
		for id, w := range want {
			got := "none"
			if u := st.KeyLastUsed(id); u != nil {
				got = u.Time.Sub(at).String() + " " + u.Service
			}
			if got != w {
				t.Errorf("%s: key %s last used %s, want %s", what, id, got, w)
			}
		}
	}

	must(CmdRecordKeyUseGroups, cmd)
	check("grouped first uses", map[string]string{"AKIAONE": "10s iam", "AKIATWO": "10s iam", "AKIAGONE": "none", "AKIAROOT": "10s sts"})

	var older, newer RecordKeyUseGroups
	older.Add("AKIAONE", use(5, "s3"))
	newer.Add("AKIATWO", use(20, "s3"))
	must(CmdRecordKeyUseGroups, older)
	must(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIAONE": use(15, "iam")}}) // an entry of the old command
	must(CmdRecordKeyUseGroups, newer)
	check("older, then newer", map[string]string{"AKIAONE": "15s iam", "AKIATWO": "20s s3"})

	must(CmdDeleteAccessKey, DeleteAccessKey{AccountID: acct, UserID: "AIDAALICE", AccessKeyID: "AKIATWO"})
	var late RecordKeyUseGroups
	late.Add("AKIATWO", use(30, "iam"))
	must(CmdRecordKeyUseGroups, late)
	check("a deleted key's late use", map[string]string{"AKIATWO": "none"})
}

// A flush's entry is several times smaller grouped: 512 uses spread over
// a minute, with key IDs of the usual 20 characters.
func TestRecordKeyUseGroupsSmaller(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	byKey := RecordKeyUse{Uses: map[string]KeyUse{}}
	var grouped RecordKeyUseGroups
	for i := range 512 {
		id := fmt.Sprintf("AKIA%016d", i)
		u := KeyUse{Time: at.Add(time.Duration(i%60) * time.Second), Service: "iam", Region: "us-east-1"}
		byKey.Uses[id] = u
		grouped.Add(id, u)
	}
	a, err := Encode(CmdRecordKeyUse, byKey)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(CmdRecordKeyUseGroups, grouped)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)*2 > len(a) {
		t.Errorf("grouped entry %d bytes, by key %d: want under half", len(b), len(a))
	}
	t.Logf("512 uses: %d bytes by key, %d grouped", len(a), len(b))
}

// keyUseFixture is an FSM with the seed's root key AKIAROOT and user alice
// of acct with keys AKIAONE and AKIATWO, and a function that applies a
// command at the next index and fails the test if it fails.
func keyUseFixture(t *testing.T, acct string, at time.Time) (*FSM, func(CommandType, any)) {
	t.Helper()
	f := New()
	seed(t, f)
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
	return f, must
}
