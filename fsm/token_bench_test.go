package fsm

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"iamd/internal/benchmem"
)

// BenchmarkCreateTokens applies CreateToken commands, as the write
// benchmark's "vault token create" and every userpass login propose them,
// and reports the FSM's CPU per token and the live heap each stored token
// keeps: with no metadata (token create) and with a login's one entry.
//
//	go test ./fsm -run '^$' -bench CreateTokens -benchmem
func BenchmarkCreateTokens(b *testing.B) {
	for _, c := range []struct {
		name string
		meta map[string]string
	}{{"nil", nil}, {"empty", map[string]string{}}, {"login", map[string]string{"username": "alice"}}} {
		b.Run("meta="+c.name, func(b *testing.B) { benchCreateTokens(b, c.meta) })
	}
}

func benchCreateTokens(b *testing.B, meta map[string]string) {
	entries := make([][]byte, b.N)
	for i := range entries {
		entries[i] = createTokenEntry(b, i, meta)
	}
	f := New()
	before := benchmem.LiveHeap()
	b.ReportAllocs()
	b.ResetTimer()
	stop := reportCPU(b)
	for i, data := range entries {
		if res := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data}).(*Result); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	stop()
	b.StopTimer()
	b.ReportMetric(float64(benchmem.LiveHeap()-before)/float64(b.N), "heap-B/token")
	runtime.KeepAlive(f)
	runtime.KeepAlive(entries) // counted in before, so alive after too
}

// createTokenEntry is the log entry that creates token i, an orphan
// service token with the given metadata.
func createTokenEntry(b *testing.B, i int, meta map[string]string) []byte {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	data, err := Encode(CmdCreateToken, CreateToken{Token: Token{HMAC: fmt.Sprintf("h%09d", i), Accessor: fmt.Sprintf("a%09d", i),
		Policies: []string{"default"}, Meta: meta, Orphan: true, Type: "service", CreationTime: now, ExpireTime: now.Add(time.Hour)}})
	if err != nil {
		b.Fatal(err)
	}
	return data
}
