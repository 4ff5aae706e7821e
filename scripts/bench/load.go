package main

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// op is one request of a phase, made by client number c for the i-th
// time. It returns nil when the request succeeded.
type op func(c, i int) error

// result is one closed-loop run: n clients, each sending its next request
// as soon as the previous one answered, for a fixed time.
type result struct {
	clients  int
	ok, errs int64
	elapsed  time.Duration
	p50, p99 time.Duration
	firstErr error
}

func (r result) opsPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// maxOpsPerClient bounds a run in count as well as in time.
const maxOpsPerClient = 2_000_000

// closedLoop runs fn with n concurrent clients for d and reports
// throughput and latency of the successful requests.
func closedLoop(n int, d time.Duration, fn op) result {
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			buf := make([]time.Duration, 0, 4096)
			for i := 0; i < maxOpsPerClient; i++ {
				t0 := time.Now()
				if !t0.Before(stop) {
					break
				}
				if err := fn(c, i); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, errBox{err})
					// A failing target must not turn into a busy loop.
					time.Sleep(time.Millisecond)
					continue
				}
				buf = append(buf, time.Since(t0))
				ok.Add(1)
			}
			lat[c] = buf
		}(c)
	}
	wg.Wait()
	r := result{clients: n, ok: ok.Load(), errs: failed.Load(), elapsed: time.Since(start)}
	if e, _ := firstErr.Load().(errBox); e.err != nil {
		r.firstErr = e.err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	return r
}

type errBox struct{ err error }

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return percentile(s, 0.5)
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
