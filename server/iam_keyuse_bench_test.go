package server

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRecordKeyUseFullTable: requests signed with keys the node has
// no slot for while every slot holds an unpublished use (many distinct
// keys in use between two flushes, e.g. a million users).
//
//	go test ./server -run '^$' -bench RecordKeyUseFullTable
func BenchmarkRecordKeyUseFullTable(b *testing.B) {
	n := &Node{}
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < KeyUseSlots; i++ {
		n.recordKeyUse(fmt.Sprintf("AKIA%016d", i), now, "iam", "us-east-1")
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("AKIANEW%013d", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.recordKeyUse(ids[i%len(ids)], now, "iam", "us-east-1")
	}
}
