package fsm

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// The access key table has one owner index, (account, user); these are
// the lookups built on it. Account "12345678901" is a prefix of the seeded
// "123456789012", so a lookup that matched by prefix alone would mix them.
func TestAccessKeyOwnerLookups(t *testing.T) {
	const acctA, acctB = "123456789012", "12345678901"
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := New()
	seed(t, f) // acctA, root key AKIAROOT
	index := uint64(10)
	apply := func(ct CommandType, cmd any) *Result {
		t.Helper()
		index++
		return applyCmd(t, f, index, ct, cmd)
	}
	must := func(ct CommandType, cmd any) {
		t.Helper()
		if res := apply(ct, cmd); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	for _, u := range []IAMUser{
		{AccountID: acctA, UserID: "AIDAALICE", UserName: "alice"},
		{AccountID: acctA, UserID: "AIDABOB", UserName: "bob"},
		{AccountID: acctB, UserID: "AIDACAROL", UserName: "carol"},
	} {
		u.Path, u.CreateDate = "/", now
		must(CmdCreateUser, CreateUser{User: u})
	}
	key := func(acct, userID, id string) {
		t.Helper()
		must(CmdCreateAccessKey, CreateAccessKey{Key: AccessKey{AccessKeyID: id, AccountID: acct, UserID: userID,
			Status: "Active", CreateDate: now, SecretCiphertext: []byte{1}}})
	}
	key(acctA, "", "AKIAA2")
	key(acctA, "AIDAALICE", "AKIAALICE2")
	key(acctA, "AIDAALICE", "AKIAALICE1")
	key(acctA, "AIDABOB", "AKIABOB")
	key(acctB, "AIDACAROL", "AKIACAROL")
	key(acctB, "", "AKIABROOT")

	ids := func(keys []*AccessKey) string {
		var out []string
		for _, k := range keys {
			out = append(out, k.AccessKeyID)
		}
		return strings.Join(out, ",")
	}
	sorted := func(keys []*AccessKey) string {
		s := strings.Split(ids(keys), ",")
		slices.Sort(s)
		return strings.Join(s, ",")
	}
	st := f.State()
	for _, c := range []struct{ name, got, want string }{
		{"root of A", ids(st.OwnAccessKeys(acctA, "")), "AKIAA2,AKIAROOT"},
		{"root of B", ids(st.OwnAccessKeys(acctB, "")), "AKIABROOT"},
		{"alice, in key ID order", ids(st.OwnAccessKeys(acctA, "AIDAALICE")), "AKIAALICE1,AKIAALICE2"},
		{"alice under the wrong account", ids(st.OwnAccessKeys(acctB, "AIDAALICE")), ""},
		{"carol", ids(st.OwnAccessKeys(acctB, "AIDACAROL")), "AKIACAROL"},
		{"account A", sorted(st.AccountAccessKeys(acctA)), "AKIAA2,AKIAALICE1,AKIAALICE2,AKIABOB,AKIAROOT"},
		{"account B", sorted(st.AccountAccessKeys(acctB)), "AKIABROOT,AKIACAROL"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}

	// The per-owner quota counts through the same index.
	if res := apply(CmdCreateAccessKey, CreateAccessKey{Key: AccessKey{AccessKeyID: "AKIAA3", AccountID: acctA,
		Status: "Active", SecretCiphertext: []byte{1}}}); res.Err == nil {
		t.Error("a third root key in account A was accepted")
	}
	key(acctB, "", "AKIABROOT2") // B's root has one key; A's two do not count

	// A rename reaches the user's keys; a user with keys cannot be deleted.
	must(CmdUpdateUser, UpdateUser{AccountID: acctA, UserID: "AIDAALICE", Name: "alice", NewName: "alicia"})
	for _, k := range f.State().OwnAccessKeys(acctA, "AIDAALICE") {
		if k.UserName != "alicia" {
			t.Errorf("key %s still names %q after the rename", k.AccessKeyID, k.UserName)
		}
	}
	if res := apply(CmdDeleteUser, DeleteUser{AccountID: acctA, UserID: "AIDABOB", Name: "bob"}); res.Err == nil {
		t.Error("bob was deleted with a key left")
	}
	must(CmdDeleteAccessKey, DeleteAccessKey{AccountID: acctA, UserID: "AIDABOB", AccessKeyID: "AKIABOB"})
	must(CmdDeleteUser, DeleteUser{AccountID: acctA, UserID: "AIDABOB", Name: "bob"})
}

// KeyDeletions moves when a committed entry deleted an access key, and on
// restore; not for writes that keep every key, nor for refused deletes.
func TestKeyDeletions(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := New()
	seed(t, f) // account 123456789012, root key AKIAROOT
	index := uint64(10)
	apply := func(ct CommandType, cmd any) *Result {
		t.Helper()
		index++
		return applyCmd(t, f, index, ct, cmd)
	}
	step := func(what string, moved bool, ct CommandType, cmd any) {
		t.Helper()
		before := f.KeyDeletions()
		apply(ct, cmd)
		if got := f.KeyDeletions() != before; got != moved {
			t.Fatalf("%s: KeyDeletions moved %v, want %v", what, got, moved)
		}
	}
	key := AccessKey{AccessKeyID: "AKIANEW", AccountID: "123456789012", Status: "Active", CreateDate: now, SecretCiphertext: []byte{1}}
	step("create key", false, CmdCreateAccessKey, CreateAccessKey{Key: key})
	step("record use", false, CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIANEW": {Time: now, Service: "iam", Region: "us-east-1"}}})
	step("delete missing key", false, CmdDeleteAccessKey, DeleteAccessKey{AccountID: "123456789012", AccessKeyID: "AKIANONE"})
	step("delete key", true, CmdDeleteAccessKey, DeleteAccessKey{AccountID: "123456789012", AccessKeyID: "AKIANEW"})
	if f.State().AccessKey("AKIANEW") != nil {
		t.Fatal("key not deleted")
	}

	var buf bytes.Buffer
	if err := f.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	before := f.KeyDeletions()
	if err := f.Restore(nopCloser{&buf}); err != nil {
		t.Fatal(err)
	}
	if f.KeyDeletions() == before {
		t.Fatal("restore did not move KeyDeletions")
	}
}
