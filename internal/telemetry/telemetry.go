// Package telemetry holds the process-wide Prometheus metrics that several
// layers record into (api: requests; server: Raft applies; fsm: applies)
// and that /v1/sys/metrics serves. It imports nothing of iamd, so every
// package may use it.
package telemetry

import (
	"time"

	gometrics "github.com/armon/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry holds the process-wide collectors. Per-node gauges are added by
// the API handler of each node (api/metrics.go), so that several nodes in
// one test process do not collide.
var Registry = prometheus.NewRegistry()

// latencyBuckets span 50µs to ~6.5s: local reads sit at the bottom, Raft
// writes in the middle, elections at the top.
var latencyBuckets = prometheus.ExponentialBuckets(50e-6, 2, 18)

var (
	// Requests counts answered HTTP requests by dialect, action and status.
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "iamd_http_requests_total",
		Help: "HTTP requests answered, by dialect (vault, aws, internal), action and status code.",
	}, []string{"dialect", "action", "code"})

	// RequestDuration is the time from routing to the last byte written.
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "iamd_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by dialect and action.",
		Buckets: latencyBuckets,
	}, []string{"dialect", "action"})

	// RaftApply is the time a proposed entry takes to be committed and
	// applied, as seen by the leader that proposed it.
	RaftApply = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "iamd_raft_apply_duration_seconds",
		Help:    "Time from proposing a log entry on the leader to its result (commit + FSM apply).",
		Buckets: latencyBuckets,
	})

	// FSMApply is the time one command takes inside FSM Apply, by command.
	FSMApply = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "iamd_fsm_apply_duration_seconds",
		Help:    "Time to apply one command to the state machine, by command name.",
		Buckets: prometheus.ExponentialBuckets(1e-6, 2, 20),
	}, []string{"command"})

	// FSMBatch is how many entries Raft hands the FSM at once: the
	// group commit the batching achieves.
	FSMBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "iamd_fsm_apply_batch_entries",
		Help:    "Log entries applied per FSM batch.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10),
	})

	// Forwarded is the time a write that a follower forwarded spends in
	// each stage: "leader" until the leader has answered, "local" from
	// that answer until the follower has applied the entry itself (it
	// answers its client only then).
	Forwarded = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "iamd_forward_duration_seconds",
		Help:    "Time a write forwarded by this node waits for the leader's answer (stage=leader), then for this node to apply it (stage=local).",
		Buckets: latencyBuckets,
	}, []string{"stage"})
)

func init() {
	Registry.MustRegister(Requests, RequestDuration, RaftApply, FSMApply, FSMBatch, Forwarded,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exportRaftMetrics()
}

// exportRaftMetrics sends what hashicorp/raft, raft-boltdb and memberlist
// measure themselves (through armon/go-metrics: raft.commitTime,
// raft.leader.dispatchLog, raft.rpc.appendEntries.storeLogs,
// raft.fsm.applyBatch, ...) to Registry, as iamd_raft_* metrics
// (raftsink.go).
func exportRaftMetrics() {
	sink := newRaftSink()
	Registry.MustRegister(sink)
	// No service name: go-metrics would copy every key to put it first;
	// the sink adds the iamd_ prefix itself.
	cfg := gometrics.DefaultConfig("")
	cfg.EnableHostname, cfg.EnableRuntimeMetrics, cfg.EnableHostnameLabel = false, false, false
	gometrics.NewGlobal(cfg, sink)
}

// Since returns the seconds elapsed since t, for Observe.
func Since(t time.Time) float64 { return time.Since(t).Seconds() }
