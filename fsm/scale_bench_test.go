package fsm

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"iamd/internal/benchids"
	"iamd/internal/benchmem"
)

// BenchmarkScaleState is the in-process half of the scale benchmark
// (scripts/bench -scale): a state of users with one access key each, in
// accounts of 500, checked (CheckSnapshot) and restored from its snapshot
// into a fresh FSM. It reports both times and the live heap per user
// afterwards: what bounds a node's memory, restore and join at a million
// users.
//
//	go test ./fsm -run '^$' -bench ScaleState -benchtime 1x
func BenchmarkScaleState(b *testing.B) {
	for _, users := range []int{100_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			snap := scaleSnapshot(b, users)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if err := CheckSnapshot(bytes.NewReader(snap)); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "check-s")
				restoreMeasured(b, snap, users, "user")
			}
		})
	}
}

// BenchmarkRestoreTokens restores a snapshot of 100,000 login tokens (one
// metadata entry each, as userpass logins make them) into a fresh FSM and
// reports the time and the live heap per token: what a Vault-style node
// with many live logins pays to restore or join.
//
//	go test ./fsm -run '^$' -bench RestoreTokens -benchtime 3x
func BenchmarkRestoreTokens(b *testing.B) {
	const tokens = 100_000
	src := New()
	for i := range tokens {
		data := createTokenEntry(b, i, map[string]string{"username": fmt.Sprintf("user%06d", i)})
		if res := src.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data}).(*Result); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	var snap bytes.Buffer
	if err := src.WriteSnapshot(&snap); err != nil {
		b.Fatal(err)
	}
	src = nil
	b.ResetTimer()
	for range b.N {
		restoreMeasured(b, snap.Bytes(), tokens, "token")
	}
}

// restoreMeasured restores snap into a fresh FSM and reports how long it
// took and the live heap it added per row (unit names the rows).
func restoreMeasured(b *testing.B, snap []byte, rows int, unit string) {
	before := benchmem.LiveHeap()
	f := New()
	start := time.Now()
	if err := f.Restore(io.NopCloser(bytes.NewReader(snap))); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "restore-s")
	b.ReportMetric(float64(benchmem.LiveHeap()-before)/float64(rows), "heap-B/"+unit)
	runtime.KeepAlive(f)
}

// BenchmarkWriteSnapshot writes the snapshot of 100,000 users with one
// access key each (50 MB) to io.Discard: the first half of a snapshot save
// (the archive's gzip is the other).
//
//	go test ./fsm -run '^$' -bench WriteSnapshot -benchtime 10x
func BenchmarkWriteSnapshot(b *testing.B) {
	f, _ := usersWithKeys(b, 100_000)
	var once bytes.Buffer
	if err := f.WriteSnapshot(&once); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(once.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.WriteSnapshot(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func scaleSnapshot(b *testing.B, users int) []byte {
	f, _ := usersWithKeys(b, users)
	var buf bytes.Buffer
	if err := f.WriteSnapshot(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// usersWithKeys returns a new FSM holding users with one access key each
// (key i is benchids.KeyID(i)), in accounts of 500 as the scale benchmark
// makes them, and a func that applies further commands to it.
func usersWithKeys(b *testing.B, users int) (*FSM, func(CommandType, any)) {
	f := New()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	idx := uint64(0)
	apply := func(ct CommandType, cmd any) {
		data, err := Encode(ct, cmd)
		if err != nil {
			b.Fatal(err)
		}
		idx++
		if res := f.Apply(&raft.Log{Index: idx, Type: raft.LogCommand, Data: data}).(*Result); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	secret := bytes.Repeat([]byte{7}, 68) // a sealed 40-byte secret's length
	for i := 0; i < users; i++ {
		acct := benchids.AccountID(i)
		u := IAMUser{AccountID: acct, UserID: benchids.UserID(i), UserName: benchids.UserName(i), Path: "/", CreateDate: now}
		apply(CmdCreateUser, CreateUser{User: u})
		apply(CmdCreateAccessKey, CreateAccessKey{UserName: u.UserName, Key: AccessKey{AccessKeyID: benchids.KeyID(i),
			AccountID: acct, UserName: u.UserName, UserID: u.UserID, Status: "Active", CreateDate: now, SecretCiphertext: secret}})
	}
	return f, apply
}
