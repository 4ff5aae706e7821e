package fsm

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// BenchmarkAuditedCreateDeleteUser is the write benchmark's CreateUser /
// DeleteUser pair applied on one FSM with 1,000 (the write benchmark's
// state) or 4,900 users in the account (near the 5,000 quota), each
// wrapped in an audit envelope as the server proposes it: the FSM's CPU
// per write, without Raft and HTTP.
//
//	go test ./fsm -run '^$' -bench AuditedCreateDeleteUser -benchmem
const benchAcct = "123456789012"

func BenchmarkAuditedCreateDeleteUser(b *testing.B) {
	for _, users := range []int{1000, 4900} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchCreateDelete(b, users) })
	}
}

func benchCreateDelete(b *testing.B, users int) {
	f := New()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	idx := uint64(0)
	encode := func(ct CommandType, cmd any) []byte {
		entry, err := EncodeAudited(ct, cmd, AuditMeta{Time: now, Node: "node1", RequestID: "req", AccountID: benchAcct,
			Principal: "arn:aws:iam::123456789012:root", SourceIP: "127.0.0.1"})
		if err != nil {
			b.Fatal(err)
		}
		return entry
	}
	applyEntry := func(entry []byte) *Result {
		idx++
		return f.Apply(&raft.Log{Index: idx, Type: raft.LogCommand, Data: entry}).(*Result)
	}
	apply := func(ct CommandType, cmd any) *Result { return applyEntry(encode(ct, cmd)) }
	if res := apply(CmdInitCluster, InitCluster{ClusterID: "c1", ClusterName: "bench", Time: now,
		RootToken: Token{HMAC: "hroot", Accessor: "acc-root", Policies: []string{"root"}, Orphan: true, CreationTime: now},
		Account:   Account{ID: benchAcct, Name: "default", CreatedAt: now},
		RootKey:   AccessKey{AccessKeyID: "AKIAROOT", AccountID: benchAcct, Status: "Active", SecretCiphertext: []byte{1}},
	}); res.Err != nil {
		b.Fatal(res.Err)
	}
	for i := 0; i < users; i++ {
		u := IAMUser{AccountID: benchAcct, UserID: fmt.Sprintf("AIDA%017d", i), UserName: fmt.Sprintf("user%04d", i), Path: "/", CreateDate: now}
		if res := apply(CmdCreateUser, CreateUser{User: u}); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	u := IAMUser{AccountID: benchAcct, UserID: "AIDABENCH000000000000", UserName: "bench-user", Path: "/", CreateDate: now}
	create := encode(CmdCreateUser, CreateUser{User: u})
	del := encode(CmdDeleteUser, DeleteUser{AccountID: benchAcct, UserID: u.UserID, Name: u.UserName})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := applyEntry(create); res.Err != nil {
			b.Fatal(res.Err)
		}
		if res := applyEntry(del); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
