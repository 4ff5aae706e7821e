package main

import (
	"math"
	"strings"
	"testing"
)

func TestCycleDelta(t *testing.T) {
	for _, c := range []struct {
		before, after float64
		want          string
	}{
		{675, 675, "0"},
		{674, 676, "2"},
		{math.NaN(), 3, "?"},
		{3, math.NaN(), "?"},
	} {
		if got := cycleDelta(c.before, c.after); got != c.want {
			t.Errorf("cycleDelta(%v, %v) = %q, want %q", c.before, c.after, got, c.want)
		}
	}
}

func TestBatchNote(t *testing.T) {
	leader, local := forwardDuration+"_sum"+forwardStages[0].label, forwardDuration+"_sum"+forwardStages[1].label
	before := map[string]float64{
		"iamd_fsm_apply_batch_entries_sum": 100, "iamd_fsm_apply_batch_entries_count": 10,
		"iamd_raft_apply_duration_seconds_sum": 1, "iamd_raft_apply_duration_seconds_count": 100,
	}
	after := map[string]float64{
		"iamd_fsm_apply_batch_entries_sum": 300, "iamd_fsm_apply_batch_entries_count": 20,
		"iamd_raft_apply_duration_seconds_sum": 3, "iamd_raft_apply_duration_seconds_count": 200,
	}
	want := "entries/batch 20.0, leader apply mean 20.00ms"
	if got := batchNote(before, after); got != want {
		t.Errorf("without forwarded writes: got %q, want %q", got, want)
	}
	after[leader], after[strings.Replace(leader, "_sum", "_count", 1)] = 2.5, 100
	after[local], after[strings.Replace(local, "_sum", "_count", 1)] = 0.5, 100
	want += ", forwarded: leader mean 25.00ms, forwarded: local apply mean 5.00ms"
	if got := batchNote(before, after); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
