package fsm

import (
	"testing"
	"time"
)

// TestSigLockoutSchedule: 4 failures lock for a minute, failures while
// locked are not counted, and a success verified before the lock ends
// (on a node that had not applied it yet) does not lift it.
func TestSigLockoutSchedule(t *testing.T) {
	f := New()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	idx := uint64(1)
	fail := func(at time.Time) {
		t.Helper()
		idx++
		if res := applyCmd(t, f, idx, CmdRecordSigFailure, RecordSigFailure{AccessKeyID: "AK1", Now: at}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	for i := 0; i < 4; i++ {
		fail(t0)
	}
	got := f.State().SigFailures("AK1")
	if got == nil || got.Count != 4 || !got.LockedUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after 4 failures: %+v", got)
	}
	fail(t0.Add(time.Second)) // refused unverified: not counted
	if c := f.State().SigFailures("AK1").Count; c != 4 {
		t.Fatalf("failure while locked counted: %d", c)
	}
	idx++
	applyCmd(t, f, idx, CmdResetSigFailures, ResetSigFailures{AccessKeyID: "AK1", Now: t0.Add(2 * time.Second)})
	if f.State().SigFailures("AK1") == nil {
		t.Fatal("a success verified during the lock lifted it")
	}
	idx++
	applyCmd(t, f, idx, CmdResetSigFailures, ResetSigFailures{AccessKeyID: "AK1", Now: t0.Add(2 * time.Minute)})
	if f.State().SigFailures("AK1") != nil {
		t.Fatal("a success after the lock did not reset the counter")
	}
	// 8 in a row: 2 minutes.
	at := t0.Add(3 * time.Minute)
	for i := 0; i < 4; i++ {
		fail(at)
	}
	at = at.Add(time.Minute)
	for i := 0; i < 4; i++ {
		fail(at)
	}
	if got := f.State().SigFailures("AK1"); got.Count != 8 || !got.LockedUntil.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("after 8 failures: %+v", got)
	}
}
