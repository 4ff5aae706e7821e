package fsm

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// BenchmarkTidyTokens removes 65,536 expired tokens (a login burst whose
// tokens ran out together) from a state of 131,072, in one entry (limit 0)
// or in entries of server.TidyTokensPerEntry: what the leader's minute
// tidy costs every node's FSM, and the longest it holds it at once.
//
//	go test ./fsm -run '^$' -bench TidyTokens -benchtime 1x
func BenchmarkTidyTokens(b *testing.B) {
	for _, limit := range []int{0, 2048, 1024} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) { benchTidy(b, limit) })
	}
}

func benchTidy(b *testing.B, limit int) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := New()
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		idx := uint64(0)
		apply := func(ct CommandType, cmd any) *Result {
			data, err := Encode(ct, cmd)
			if err != nil {
				b.Fatal(err)
			}
			idx++
			res := f.Apply(&raft.Log{Index: idx, Type: raft.LogCommand, Data: data}).(*Result)
			if res.Err != nil {
				b.Fatal(res.Err)
			}
			return res
		}
		for t := 0; t < 131072; t++ {
			expire := now.Add(time.Hour) // half expire at now+1h, half a day later
			if t%2 == 1 {
				expire = now.Add(24 * time.Hour)
			}
			apply(CmdCreateToken, CreateToken{Token: Token{HMAC: fmt.Sprintf("h%07d", t), Accessor: fmt.Sprintf("a%07d", t),
				Policies: []string{"default"}, Orphan: true, CreationTime: now, ExpireTime: expire}})
		}
		b.StartTimer()
		var longest, total time.Duration
		cmd := TidyTokens{Time: now.Add(2 * time.Hour), Limit: limit}
		for {
			t0 := time.Now()
			res := apply(CmdTidyTokens, cmd)
			d := time.Since(t0)
			total += d
			longest = max(longest, d)
			if cmd.After = res.Value.(TidyResult).Next; cmd.After == "" {
				break
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(total.Microseconds())/1000, "tidy-ms")
		b.ReportMetric(float64(longest.Microseconds())/1000, "longest-entry-ms")
	}
}
