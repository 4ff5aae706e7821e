package main

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scrape reads the sums and counts of a few iamd histograms: from the
// leader's /v1/sys/metrics how many entries each Raft batch carried and how
// long applies took, and from every node's how long the writes it forwarded
// waited for the leader and then for their local apply.
func (b *bench) scrape() map[string]float64 {
	out := map[string]float64{}
	if l := b.ic.leader(); l != nil {
		out = scrapeNode(b.ic, l, "iamd_fsm_apply_batch_entries_sum", "iamd_fsm_apply_batch_entries_count",
			"iamd_raft_apply_duration_seconds_sum", "iamd_raft_apply_duration_seconds_count")
	}
	var names []string
	for _, st := range forwardStages {
		names = append(names, forwardDuration+"_sum"+st.label, forwardDuration+"_count"+st.label)
	}
	for _, n := range b.ic.nodes {
		for k, v := range scrapeNode(b.ic, n, names...) {
			out[k] += v
		}
	}
	return out
}

// forwardDuration is iamd's histogram of the stages of forwarded writes.
const forwardDuration = "iamd_forward_duration_seconds"

var forwardStages = []struct{ label, what string }{
	{`{stage="leader"}`, "leader"},
	{`{stage="local"}`, "local apply"},
}

// scrapeNode reads the named metrics from n's /v1/sys/metrics (a name may
// carry its labels as the text format writes them, {stage="leader"});
// a metric it could not read is missing from the map.
func scrapeNode(ic *iamdCluster, n *iamdNode, names ...string) map[string]float64 {
	out := map[string]float64{}
	req, _ := http.NewRequest(http.MethodGet, n.api+"/v1/sys/metrics", nil)
	req.Header.Set("X-Vault-Token", ic.token)
	resp, err := ic.http.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, m := range names {
			if strings.HasPrefix(line, m+" ") {
				v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, m)), 64)
				out[m] = v
			}
		}
	}
	return out
}

// gcCycles is each node's count of completed GC cycles (NaN where the
// node did not answer). A cycle at a million users marks a heap of over
// 2 GB for seconds of CPU; a read window that holds none shows reads
// without that cost, so the scale phase says how many each window held.
func gcCycles(ic *iamdCluster) []float64 {
	const m = "go_gc_duration_seconds_count"
	var out []float64
	for _, n := range ic.nodes {
		v, ok := scrapeNode(ic, n, m)[m]
		if !ok {
			v = math.NaN()
		}
		out = append(out, v)
	}
	return out
}

// collectNow runs a full collection on each node in turn, through the heap
// profile's gc=1 (net/http/pprof calls runtime.GC before it writes the
// profile). With GOGC raised, a read window that starts on a fresh heap
// and lasts under the runtime's 2-minute periodic collection holds none.
func collectNow(ic *iamdCluster) {
	for _, n := range ic.nodes {
		req, _ := http.NewRequest(http.MethodGet, n.api+"/v1/sys/pprof/heap?gc=1", nil)
		req.Header.Set("X-Vault-Token", ic.token)
		if resp, err := ic.http.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}

// cycleDelta formats the cycles between two counts, "?" if either is missing.
func cycleDelta(before, after float64) string {
	if math.IsNaN(before) || math.IsNaN(after) {
		return "?"
	}
	return strconv.FormatFloat(after-before, 'f', 0, 64)
}

// lastRestore is how long n's FSM took to restore its last snapshot
// (hashicorp/raft's gauge, in milliseconds), or "?" if n did not say.
func lastRestore(ic *iamdCluster, n *iamdNode) string {
	const m = "iamd_raft_fsm_lastRestoreDuration"
	v, ok := scrapeNode(ic, n, m)[m]
	if !ok {
		return "?"
	}
	return fmtDur(time.Duration(v * float64(time.Millisecond)))
}

// batchNote describes the Raft batching between two scrapes.
func batchNote(before, after map[string]float64) string {
	d := func(k string) float64 { return after[k] - before[k] }
	n := d("iamd_fsm_apply_batch_entries_count")
	a := d("iamd_raft_apply_duration_seconds_count")
	if n <= 0 || a <= 0 {
		return ""
	}
	note := "entries/batch " + strconv.FormatFloat(d("iamd_fsm_apply_batch_entries_sum")/n, 'f', 1, 64) +
		", leader apply mean " + fmtDur(secondsDur(d("iamd_raft_apply_duration_seconds_sum")/a))
	for _, st := range forwardStages {
		if writes := d(forwardDuration + "_count" + st.label); writes > 0 {
			note += ", forwarded: " + st.what + " mean " + fmtDur(secondsDur(d(forwardDuration+"_sum"+st.label)/writes))
		}
	}
	return note
}
