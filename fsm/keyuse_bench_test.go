package fsm

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
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
				now = now.Add(time.Second) // every use newer than the stored one
				var longest, applied time.Duration
				for start := 0; start < keys; start += perEntry {
					cmd := RecordKeyUse{Uses: make(map[string]KeyUse, perEntry)}
					for k := start; k < start+perEntry; k++ {
						cmd.Uses[fmt.Sprintf("AKIABENCH%011d", k)] = KeyUse{Time: now, Service: "iam", Region: "us-east-1"}
					}
					data, err := Encode(CmdRecordKeyUse, cmd)
					if err != nil {
						b.Fatal(err)
					}
					idx++
					t0 := time.Now()
					if res := f.Apply(&raft.Log{Index: idx, Type: raft.LogCommand, Data: data}).(*Result); res.Err != nil {
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
