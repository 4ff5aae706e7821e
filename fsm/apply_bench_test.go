package fsm

import (
	"fmt"
	"syscall"
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
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchCreateDelete(b, users, 1) })
	}
}

// BenchmarkAuditedCreateDeleteUserBatch is the same with the entries
// handed to ApplyBatch 16 at a time (8 users created and deleted), as Raft
// hands them over under load: what group commit saves. An op is still one
// create and one delete.
func BenchmarkAuditedCreateDeleteUserBatch(b *testing.B) {
	for _, users := range []int{1000, 4900} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchCreateDelete(b, users, 16) })
	}
}

func benchCreateDelete(b *testing.B, users, batch int) {
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
	var entries [][]byte // create, delete, create, delete, ...: one pair per user of a batch
	for i := 0; i < max(batch/2, 1); i++ {
		u := IAMUser{AccountID: benchAcct, UserID: fmt.Sprintf("AIDABENCH%012d", i), UserName: fmt.Sprintf("bench-user%d", i),
			Path: "/", CreateDate: now}
		entries = append(entries, encode(CmdCreateUser, CreateUser{User: u}),
			encode(CmdDeleteUser, DeleteUser{AccountID: benchAcct, UserID: u.UserID, Name: u.UserName}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	if batch == 1 {
		for i := 0; i < b.N; i++ {
			for _, e := range entries {
				if res := applyEntry(e); res.Err != nil {
					b.Fatal(res.Err)
				}
			}
		}
		return
	}
	logs := make([]*raft.Log, len(entries))
	for done := 0; done < b.N; done += len(entries) / 2 {
		for i, e := range entries {
			idx++
			logs[i] = &raft.Log{Index: idx, Type: raft.LogCommand, Data: e}
		}
		for _, res := range f.ApplyBatch(logs) {
			if res := res.(*Result); res.Err != nil {
				b.Fatal(res.Err)
			}
		}
	}
}

// reportCPU reports the process's CPU time (user and system, GC included)
// per op when the returned func is called: on a shared machine it varies
// far less than ns/op, which counts time waiting for a CPU.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
