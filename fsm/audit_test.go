package fsm

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func applyAudited(t *testing.T, f *FSM, index uint64, ct CommandType, cmd any, meta AuditMeta) *Result {
	t.Helper()
	entry, err := EncodeAudited(ct, cmd, meta)
	if err != nil {
		t.Fatal(err)
	}
	return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: entry}).(*Result)
}

func TestAuditedCommandsChainSuccessAndFailure(t *testing.T) {
	f := New()
	seed(t, f)
	meta := AuditMeta{Time: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), Node: "n1", Principal: "root", RequestID: "r1"}
	ok := applyAudited(t, f, 4, CmdPutACLPolicy, PutACLPolicy{Name: "ops", Text: `path "x" {}`}, meta)
	if ok.Err != nil {
		t.Fatal(ok.Err)
	}
	dup := AuthMount{Path: "userpass/", Type: "userpass", Accessor: "auth_userpass_87654321"}
	bad := applyAudited(t, f, 5, CmdEnableAuth, EnableAuth{Mount: dup}, meta)
	if bad.Err == nil {
		t.Fatal("duplicate mount applied")
	}
	if f.State().AuthMountByAccessor("auth_userpass_87654321") != nil {
		t.Fatal("failed command left state behind")
	}
	entries, more := f.State().AuditEntries(AuditFilter{})
	if more || len(entries) != 2 {
		t.Fatalf("entries %+v", entries)
	}
	a, b := entries[0], entries[1]
	if a.Action != "policy.write" || a.Target != "ops" || a.Result != "success" || a.Prev != "" || a.Index != 4 {
		t.Fatalf("first entry %+v", a)
	}
	if b.Action != "auth.enable" || b.Result != "failure" || b.Error == "" || b.Prev != a.Hash || b.Seq != 2 {
		t.Fatalf("second entry %+v", b)
	}
	if AuditEntryHash(b) != b.Hash {
		t.Fatal("stored hash does not match content")
	}
	if h := f.State().AuditHead(); h.Seq != 2 || h.Hash != b.Hash {
		t.Fatalf("head %+v", h)
	}
	// The log is part of the state: snapshots carry it and a replay on
	// another FSM derives the same chain.
	g := restoredCopy(t, f)
	if g.Digest() != f.Digest() || g.State().AuditHead() != f.State().AuditHead() {
		t.Fatal("restored log differs")
	}
}

func TestAuditRetentionDropsOldestEntries(t *testing.T) {
	defer func(n int) { AuditRetention = n }(AuditRetention)
	AuditRetention = 3
	f := New()
	seed(t, f)
	for i := uint64(0); i < 5; i++ {
		ev := AuditEvent{Meta: AuditMeta{Time: time.Unix(int64(i), 0)}, Action: "auth.signature.failure"}
		if res := applyCmd(t, f, 4+i, CmdAuditEvent, ev); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	entries, _ := f.State().AuditEntries(AuditFilter{})
	if len(entries) != 3 || entries[0].Seq != 3 || entries[2].Seq != 5 || entries[0].Result != "failure" {
		t.Fatalf("entries %+v", entries)
	}
}

func TestAuditTargetNamesNoSecret(t *testing.T) {
	cases := map[string]string{
		`{"Token":{"HMAC":"hsecret","Accessor":"acc1","Path":"auth/token/create"}}`: "acc1",
		`{"Template":{"Username":"bob","Policies":["p"]},"TokenHMAC":"hx"}`:         "bob",
		`{"IDs":["e1","e2"]}`: "e1,e2",
		`{"MountAccessor":"m","Username":"u","PasswordHash":"$argon2id$..."}`: "u",
		`{"Secret":"s"}`: "",
	}
	for in, want := range cases {
		if got := auditTarget([]byte(in)); got != want {
			t.Errorf("auditTarget(%s) = %q, want %q", in, got, want)
		}
	}
}
