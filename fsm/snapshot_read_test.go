package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A state spanning several restore batches comes back equal.
func TestRestoreManyBatches(t *testing.T) {
	f := New()
	seed(t, f)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	n := 24*restoreBatch + 17 // more batches than are in flight, so that buffers are reused
	for i := 0; i < n; i++ {
		tok := Token{HMAC: fmt.Sprintf("h%05d", i), Accessor: fmt.Sprintf("a%05d", i), Policies: []string{"default"},
			CreationTime: now, ExpireTime: now.Add(time.Hour), Meta: map[string]string{"n": fmt.Sprint(i), "quote": `"<&>\`}}
		if res := applyCmd(t, f, uint64(4+i), CmdCreateToken, CreateToken{Token: tok}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	g := restoredCopy(t, f)
	if f.Digest() != g.Digest() || g.AppliedIndex() != f.AppliedIndex() {
		t.Fatal("state after restore differs from state before")
	}
	if tok := g.State().TokenByAccessor("a01000"); tok == nil || tok.Meta["quote"] != `"<&>\` {
		t.Fatalf("restored token %+v", tok)
	}
}

// Records written differently from writeSnapshot's compact lines (other
// field order, spaces, CRLF, no final newline) decode the general way.
func TestRestoreGeneralRecords(t *testing.T) {
	in := `{"format":"iamd-fsm","version":1,"index":9}` + "\r\n" +
		`{ "o": {"Path":"userpass/","Type":"userpass","Accessor":"auth_userpass_1"}, "t": "auth_mounts" }` + "\n\n" +
		`{"t":"auth_mounts","o":{"Path":"ldap/","Type":"ldap","Accessor":"auth_ldap_2"}}`
	f := New()
	if err := f.Restore(nopCloser{strings.NewReader(in)}); err != nil {
		t.Fatal(err)
	}
	st := f.State()
	if st.AuthMount("userpass/") == nil || st.AuthMount("ldap/") == nil || f.AppliedIndex() != 9 {
		t.Fatal("records missing after restore")
	}
}

// A record longer than the restore's read buffer (1 MiB) comes back whole,
// and the lines after it too.
func TestRestoreLongRecord(t *testing.T) {
	long := strings.Repeat("d", 3<<20+5)
	in := `{"format":"iamd-fsm","version":1,"index":9}` + "\n" +
		`{"t":"auth_mounts","o":{"Path":"a/","Type":"userpass","Accessor":"auth_userpass_1","Description":"` + long + `"}}` + "\n" +
		`{"t":"auth_mounts","o":{"Path":"b/","Type":"userpass","Accessor":"auth_userpass_2"}}` + "\n"
	f := New()
	if err := f.Restore(nopCloser{strings.NewReader(in)}); err != nil {
		t.Fatal(err)
	}
	st := f.State()
	if m := st.AuthMount("a/"); m == nil || m.Description != long {
		t.Fatal("the long record did not come back whole")
	}
	if st.AuthMount("b/") == nil {
		t.Fatal("the record after the long one is missing")
	}
}

// A bad record anywhere refuses the whole snapshot and says where.
func TestRestoreRejectsBadRecordLate(t *testing.T) {
	f := New()
	seed(t, f)
	before := f.Digest()
	var b strings.Builder
	b.WriteString(`{"format":"iamd-fsm","version":1,"index":9}` + "\n")
	for i := 0; i < 2*restoreBatch; i++ {
		fmt.Fprintf(&b, `{"t":"auth_mounts","o":{"Path":"m%d/","Type":"userpass","Accessor":"auth_userpass_%d"}}`+"\n", i, i)
	}
	good := b.String()
	for name, tail := range map[string]string{
		"garbage":       "{garbage\n",
		"unknown table": `{"t":"nope","o":{}}` + "\n",
		"wrong type":    `{"t":"auth_mounts","o":{"Path":7}}` + "\n",
	} {
		err := f.Restore(nopCloser{strings.NewReader(good + tail)})
		if err == nil {
			t.Fatalf("%s: restore accepted it", name)
		}
		if name == "garbage" && !strings.Contains(err.Error(), fmt.Sprintf("line %d", 2*restoreBatch+2)) {
			t.Errorf("%s: error does not say where: %v", name, err)
		}
		if f.Digest() != before {
			t.Fatalf("%s: failed restore changed the state", name)
		}
	}
}

// writeSnapshot's lines are exactly what json.Encoder writes for
// snapshotRecord, so snapshots stay byte-for-byte what they were. The
// tokens fill many more batches than are in flight at once, so written
// batches' buffers are reused.
func TestWriteSnapshotMatchesEncoder(t *testing.T) {
	f := New()
	seed(t, f)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 32*restoreBatch+3; i++ {
		tok := Token{HMAC: fmt.Sprintf("h%05d", i), Accessor: fmt.Sprintf("a%05d", i), CreationTime: now,
			Meta: map[string]string{"html": "<a href='x'>&</a>", "uni": "é\u2028"}}
		if res := applyCmd(t, f, uint64(4+i), CmdCreateToken, CreateToken{Token: tok}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	var got bytes.Buffer
	if err := f.WriteSnapshot(&got); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.Encode(snapshotHeader{Format: snapshotFormat, Version: 1, Index: f.AppliedIndex()})
	tx := f.store.Load().db.Txn(false)
	for _, name := range tableNames() {
		it, err := tx.Get(name, "id")
		if err != nil {
			t.Fatal(err)
		}
		for obj := it.Next(); obj != nil; obj = it.Next() {
			raw, _ := json.Marshal(obj)
			enc.Encode(snapshotRecord{Table: name, Object: raw})
		}
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("snapshot bytes differ from the json.Encoder form (%d vs %d bytes)", got.Len(), want.Len())
	}
}

// CheckSnapshot refuses exactly what Restore refuses: every bad record
// above, and, for every table, a row without its index values.
func TestCheckSnapshotAgreesWithRestore(t *testing.T) {
	head := `{"format":"iamd-fsm","version":1,"index":9}` + "\n"
	mount := `{"t":"auth_mounts","o":{"Path":"m/","Type":"userpass","Accessor":"auth_userpass_1"}}` + "\n"
	cases := map[string]string{
		"good":          head + mount,
		"empty":         "",
		"no header":     mount,
		"garbage":       head + mount + "{garbage\n",
		"unknown table": head + `{"t":"nope","o":{}}` + "\n",
		"wrong type":    head + `{"t":"auth_mounts","o":{"Path":7}}` + "\n",
	}
	for _, table := range tableNames() {
		cases["empty row of "+table] = head + mount + `{"t":"` + table + `","o":{}}` + "\n"
	}
	refused := 0
	for name, in := range cases {
		restoreErr := New().Restore(nopCloser{strings.NewReader(in)})
		checkErr := CheckSnapshot(strings.NewReader(in))
		if (restoreErr == nil) != (checkErr == nil) {
			t.Errorf("%s: Restore says %v, CheckSnapshot says %v", name, restoreErr, checkErr)
		}
		if restoreErr != nil {
			refused++
		}
	}
	// Most tables' "id" field is a string, so an empty row is refused.
	if refused < len(cases)/2 {
		t.Errorf("only %d of %d cases refused: the empty rows are not testing anything", refused, len(cases))
	}
}

// restoredCopy returns a new FSM restored from a snapshot of f.
func restoredCopy(t *testing.T, f *FSM) *FSM {
	t.Helper()
	var buf bytes.Buffer
	if err := f.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	g := New()
	if err := g.Restore(nopCloser{&buf}); err != nil {
		t.Fatal(err)
	}
	return g
}
