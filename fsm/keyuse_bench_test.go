package fsm

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"iamd/internal/benchids"
	"iamd/internal/benchmem"
)

// BenchmarkRecordKeyUse applies the uses of 65,536 keys (a node's full
// key-use table, server.KeyUseSlots) in RecordKeyUse entries of different
// sizes: what one flush costs every node's FSM, and the longest it holds
// the FSM at once (server.KeyUsesPerEntry).
//
//	go test ./fsm -run '^$' -bench RecordKeyUse -benchtime 1x
func BenchmarkRecordKeyUse(b *testing.B) {
	const keys = 65536
	f, _ := usersWithKeys(b, keys)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	idx := f.AppliedIndex()
	for _, perEntry := range []int{65536, 1024, 512, 256} {
		b.Run(fmt.Sprintf("uses-per-entry=%d", perEntry), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				now = now.Add(time.Minute) // every use newer than the stored one
				var longest, applied time.Duration
				for start := 0; start < keys; start += perEntry {
					keys := make([]int, 0, perEntry)
					for k := start; k < start+perEntry; k++ {
						keys = append(keys, k)
					}
					idx++
					entry := keyUseEntry(b, idx, now, keys, true)
					t0 := time.Now()
					if res := f.Apply(entry).(*Result); res.Err != nil {
						b.Fatal(res.Err)
					}
					d := time.Since(t0)
					applied += d
					longest = max(longest, d)
				}
				b.ReportMetric(float64(applied.Microseconds())/1000, "apply-ms")
				b.ReportMetric(float64(longest.Microseconds())/1000, "longest-entry-ms")
			}
		})
	}
}

// BenchmarkRecordKeyUseLargeState publishes the uses of 65,536 keys picked
// at random among 262,144 users' keys, in entries of server.KeyUsesPerEntry
// handed to ApplyBatch eight at a time as Raft does under load: what a
// flush costs every node when each read signs with a different key (the
// scale benchmark's reads). The uses spread over the minute before each
// round, as a flush's do. apply-us/use counts ApplyBatch alone (decoding
// included), entry-B/use the log entries' bytes; by-key is the
// RecordKeyUse entries nodes wrote before RecordKeyUseGroups.
//
//	go test ./fsm -run '^$' -bench RecordKeyUseLargeState -benchtime 3x
func BenchmarkRecordKeyUseLargeState(b *testing.B) {
	const users, used, perEntry, perBatch = 262144, 65536, 512, 8
	f, _ := usersWithKeys(b, users)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	idx := f.AppliedIndex()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, grouped := range []bool{false, true} {
		name := "by-key"
		if grouped {
			name = "grouped"
		}
		b.Run(name, func(b *testing.B) {
			var applying time.Duration
			var bytes int
			for i := 0; i < b.N; i++ {
				now = now.Add(time.Minute) // every use newer than the stored one
				var batch []*raft.Log
				for start := 0; start < used; start += perEntry {
					picked := map[int]bool{}
					for len(picked) < perEntry {
						picked[rng.IntN(users)] = true
					}
					idx++
					entry := keyUseEntry(b, idx, now, slices.Collect(maps.Keys(picked)), grouped)
					bytes += len(entry.Data)
					batch = append(batch, entry)
					if len(batch) == perBatch {
						t0 := time.Now()
						for _, res := range f.ApplyBatch(batch) {
							if err := res.(*Result).Err; err != nil {
								b.Fatal(err)
							}
						}
						applying += time.Since(t0)
						batch = nil
					}
				}
			}
			b.ReportMetric(applying.Seconds()*1e6/float64(b.N*used), "apply-us/use")
			b.ReportMetric(float64(bytes)/float64(b.N*used), "entry-B/use")
		})
	}
}

// keyUseEntry is the log entry that publishes a use of each of the keys
// usersWithKeys made with the given numbers, at times spread over the
// minute up to now: a RecordKeyUseGroups, or with grouped false the
// RecordKeyUse of earlier nodes.
func keyUseEntry(b *testing.B, index uint64, now time.Time, keys []int, grouped bool) *raft.Log {
	byKey := RecordKeyUse{Uses: make(map[string]KeyUse, len(keys))}
	var groups RecordKeyUseGroups
	for _, k := range keys {
		use := KeyUse{Time: now.Add(-time.Duration(k%60) * time.Second), Service: "iam", Region: "us-east-1"}
		if grouped {
			groups.Add(benchids.KeyID(k), use)
		} else {
			byKey.Uses[benchids.KeyID(k)] = use
		}
	}
	var data []byte
	var err error
	if grouped {
		data, err = Encode(CmdRecordKeyUseGroups, groups)
	} else {
		data, err = Encode(CmdRecordKeyUse, byKey)
	}
	if err != nil {
		b.Fatal(err)
	}
	return &raft.Log{Index: index, Type: raft.LogCommand, Data: data}
}

// BenchmarkKeyUseMemory publishes one use of each of 100,000 users' keys
// and reports the live heap each published use adds.
//
//	go test ./fsm -run '^$' -bench KeyUseMemory -benchtime 1x
func BenchmarkKeyUseMemory(b *testing.B) {
	const users, perEntry = 100000, 512
	for i := 0; i < b.N; i++ {
		f, _ := usersWithKeys(b, users)
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		idx := f.AppliedIndex()
		before := benchmem.LiveHeap()
		for start := 0; start < users; start += perEntry {
			var keys []int
			for k := start; k < min(start+perEntry, users); k++ {
				keys = append(keys, k)
			}
			idx++
			if res := f.Apply(keyUseEntry(b, idx, now, keys, true)).(*Result); res.Err != nil {
				b.Fatal(res.Err)
			}
		}
		b.ReportMetric(float64(benchmem.LiveHeap()-before)/users, "heap-B/use")
		runtime.KeepAlive(f)
	}
}
