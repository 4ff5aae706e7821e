package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
)

// scrape reads the sums and counts of a few iamd histograms from the
// leader's /v1/sys/metrics, so that a write row can show how many entries
// each Raft batch carried and how long applies took.
func (b *bench) scrape() map[string]float64 {
	out := map[string]float64{}
	l := b.ic.leader()
	if l == nil {
		return out
	}
	req, _ := http.NewRequest(http.MethodGet, l.api+"/v1/sys/metrics", nil)
	req.Header.Set("X-Vault-Token", b.ic.token)
	resp, err := b.ic.http.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, m := range []string{"iamd_fsm_apply_batch_entries_sum", "iamd_fsm_apply_batch_entries_count",
			"iamd_raft_apply_duration_seconds_sum", "iamd_raft_apply_duration_seconds_count"} {
			if strings.HasPrefix(line, m+" ") {
				v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, m)), 64)
				out[m] = v
			}
		}
	}
	return out
}

// batchNote describes the Raft batching between two scrapes.
func batchNote(before, after map[string]float64) string {
	d := func(k string) float64 { return after[k] - before[k] }
	n := d("iamd_fsm_apply_batch_entries_count")
	a := d("iamd_raft_apply_duration_seconds_count")
	if n <= 0 || a <= 0 {
		return ""
	}
	return "entries/batch " + strconv.FormatFloat(d("iamd_fsm_apply_batch_entries_sum")/n, 'f', 1, 64) +
		", leader apply mean " + fmtDur(secondsDur(d("iamd_raft_apply_duration_seconds_sum")/a))
}
