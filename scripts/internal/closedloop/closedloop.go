// Package closedloop runs the closed-loop load of the small benchmark
// commands (scripts/benchsigned, scripts/benchwrites): n clients, each
// calling as fast as its answers come, for a fixed time; and prints one
// table row per client count.
package closedloop

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Counts parses a comma-separated list of client counts ("1,16,64").
func Counts(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad client count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Result is one run's figures.
type Result struct {
	Clients  int
	OK       int64
	Failed   int64
	Elapsed  time.Duration
	P50, P99 time.Duration
	FirstErr error
}

// Run starts n clients for d. newCall(i) builds client i's call (before
// the clock starts); each client repeats its call until d has passed.
// Latencies count successful calls only.
func Run(n int, d time.Duration, newCall func(i int) func() error) Result {
	calls := make([]func() error, n)
	for i := range n {
		calls[i] = newCall(i)
	}
	var ok, failed atomic.Int64
	var firstErr atomic.Pointer[error]
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				if err := calls[i](); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					failed.Add(1)
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	r := Result{Clients: n, OK: ok.Load(), Failed: failed.Load(), Elapsed: time.Since(start)}
	if e := firstErr.Load(); e != nil {
		r.FirstErr = *e
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		pct := func(p float64) time.Duration { return all[min(len(all)-1, int(float64(len(all))*p))] }
		r.P50, r.P99 = pct(0.50), pct(0.99)
	}
	return r
}

// PrintHeader prints the table header; unit names what a call is
// ("calls", "writes").
func PrintHeader(unit string) {
	fmt.Printf("%8s %10s %8s %10s %10s %10s\n", "clients", unit, "errors", unit+"/s", "p50", "p99")
}

// Print prints r as a table row, and its first error on stderr.
func (r Result) Print() {
	fmt.Printf("%8d %10d %8d %10.0f %10s %10s\n", r.Clients, r.OK, r.Failed,
		float64(r.OK)/r.Elapsed.Seconds(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	if r.FirstErr != nil {
		fmt.Fprintf(os.Stderr, "first error: %v\n", r.FirstErr)
	}
}
