package telemetry

import (
	"strings"
	"sync"

	gometrics "github.com/armon/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// raftSink receives what hashicorp/raft, raft-boltdb and memberlist
// measure through armon/go-metrics and serves it from Registry: samples
// (timings in milliseconds, sizes, counts) as histograms, counters as
// counters, gauges as gauges, each named iamd_ followed by its key joined
// with underscores (iamd_raft_commitTime).
//
// It replaces go-metrics' PrometheusSink, which on every sample joins the
// key into a new string, stores a new copy of the metric in a sync.Map and
// feeds a quantile summary: 4–5% of a node's CPU under writes, where every
// entry is measured several times on every node. Here a metric seen before
// is found by its key without allocating and observed with atomic adds.
type raftSink struct {
	mu    sync.RWMutex
	byKey map[string]raftMetric
}

// raftMetric is one metric of the sink: exactly one of its fields is set.
type raftMetric struct {
	sample  prometheus.Histogram
	counter prometheus.Counter
	gauge   prometheus.Gauge
}

func (m raftMetric) collector() prometheus.Collector {
	switch {
	case m.sample != nil:
		return m.sample
	case m.counter != nil:
		return m.counter
	}
	return m.gauge
}

// sampleBuckets span 0.05 to ~26,000: milliseconds from a fast fsync to a
// long snapshot, and entry sizes and batch counts.
var sampleBuckets = prometheus.ExponentialBuckets(0.05, 2, 20)

type metricKind byte

const (
	kindSample metricKind = iota
	kindCounter
	kindGauge
)

func newRaftSink() *raftSink { return &raftSink{byKey: map[string]raftMetric{}} }

// find returns the metric of this kind, key and labels, made on first use.
func (s *raftSink) find(kind metricKind, key []string, labels []gometrics.Label) raftMetric {
	var buf [256]byte
	id := append(buf[:0], byte(kind))
	for _, k := range key {
		id = append(append(id, k...), 0)
	}
	for _, l := range labels {
		id = append(append(append(append(id, l.Name...), 1), l.Value...), 0)
	}
	s.mu.RLock()
	m, ok := s.byKey[string(id)] // no allocation: the conversion is only looked up
	s.mu.RUnlock()
	if ok {
		return m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.byKey[string(id)]; ok {
		return m
	}
	m = newRaftMetric(kind, key, labels)
	s.byKey[string(id)] = m
	return m
}

func newRaftMetric(kind metricKind, key []string, labels []gometrics.Label) raftMetric {
	name := promName("iamd_" + strings.Join(key, "_"))
	var constLabels prometheus.Labels
	if len(labels) > 0 {
		constLabels = prometheus.Labels{}
		for _, l := range labels {
			constLabels[promName(l.Name)] = l.Value
		}
	}
	help := strings.Join(key, ".") + ", measured by hashicorp/raft, raft-boltdb or memberlist (armon/go-metrics)."
	switch kind {
	case kindCounter:
		return raftMetric{counter: prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: constLabels})}
	case kindGauge:
		return raftMetric{gauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: constLabels})}
	}
	return raftMetric{sample: prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: name, Help: help, ConstLabels: constLabels, Buckets: sampleBuckets})}
}

// promName replaces what Prometheus does not allow in a name with '_'.
func promName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ':' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

func (s *raftSink) SetGauge(key []string, val float32) { s.SetGaugeWithLabels(key, val, nil) }

func (s *raftSink) SetGaugeWithLabels(key []string, val float32, labels []gometrics.Label) {
	s.find(kindGauge, key, labels).gauge.Set(float64(val))
}

// EmitKey has no Prometheus form (PrometheusSink drops it too).
func (s *raftSink) EmitKey(key []string, val float32) {}

func (s *raftSink) IncrCounter(key []string, val float32) { s.IncrCounterWithLabels(key, val, nil) }

func (s *raftSink) IncrCounterWithLabels(key []string, val float32, labels []gometrics.Label) {
	if val < 0 {
		return // a Prometheus counter only goes up
	}
	s.find(kindCounter, key, labels).counter.Add(float64(val))
}

func (s *raftSink) AddSample(key []string, val float32) { s.AddSampleWithLabels(key, val, nil) }

func (s *raftSink) AddSampleWithLabels(key []string, val float32, labels []gometrics.Label) {
	s.find(kindSample, key, labels).sample.Observe(float64(val))
}

// Describe sends nothing: the metrics appear as they are first measured,
// so the sink is an unchecked collector.
func (s *raftSink) Describe(chan<- *prometheus.Desc) {}

func (s *raftSink) Collect(ch chan<- prometheus.Metric) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.byKey {
		m.collector().Collect(ch)
	}
}
