package telemetry

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	gometrics "github.com/armon/go-metrics"
	gmprometheus "github.com/armon/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
)

// series gathers reg: each series by name and labels, with its type and
// value (a histogram's: its number of samples).
func series(t *testing.T, reg *prometheus.Registry) map[string]string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			switch {
			case m.GetHistogram() != nil:
				got[name] = fmt.Sprintf("histogram %d", m.GetHistogram().GetSampleCount())
			case m.GetCounter() != nil:
				got[name] = fmt.Sprintf("counter %v", m.GetCounter().GetValue())
			case m.GetGauge() != nil:
				got[name] = fmt.Sprintf("gauge %v", m.GetGauge().GetValue())
			}
		}
	}
	return got
}

func TestRaftSinkServesWhatRaftMeasures(t *testing.T) {
	s := newRaftSink()
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)

	s.AddSample([]string{"raft", "commitTime"}, 2)
	s.AddSample([]string{"raft", "commitTime"}, 40)
	peer := func(id string) []gometrics.Label { return []gometrics.Label{{Name: "peer_id", Value: id}} }
	s.AddSampleWithLabels([]string{"raft", "replication", "appendEntries", "rpc"}, 1, peer("n2"))
	s.AddSampleWithLabels([]string{"raft", "replication", "appendEntries", "rpc"}, 3, peer("n3"))
	s.IncrCounter([]string{"raft", "apply"}, 1)
	s.IncrCounter([]string{"raft", "apply"}, 2)
	s.IncrCounter([]string{"raft", "apply"}, -5) // ignored: counters only go up
	s.SetGauge([]string{"raft", "fsm", "lastRestoreDuration"}, 7)
	s.SetGauge([]string{"raft", "fsm", "lastRestoreDuration"}, 9)
	s.SetGauge([]string{"memberlist", "health-score"}, 1) // '-' is not allowed in a name

	got := series(t, reg)
	want := map[string]string{
		"iamd_raft_commitTime":                                "histogram 2",
		"iamd_raft_replication_appendEntries_rpc{peer_id=n2}": "histogram 1",
		"iamd_raft_replication_appendEntries_rpc{peer_id=n3}": "histogram 1",
		"iamd_raft_apply":                                     "counter 3",
		"iamd_raft_fsm_lastRestoreDuration":                   "gauge 9",
		"iamd_memberlist_health_score":                        "gauge 1",
	}
	if !maps.Equal(got, want) {
		t.Errorf("gathered %v, want %v", got, want)
	}
}

// A metric measured before is found without allocating: raft measures
// every entry several times on every node.
func TestRaftSinkKnownMetricDoesNotAllocate(t *testing.T) {
	s := newRaftSink()
	key := []string{"raft", "boltdb", "logSize"}
	labels := []gometrics.Label{{Name: "peer_id", Value: "n2"}}
	s.AddSample(key, 1)
	s.AddSampleWithLabels(key, 1, labels)
	if n := testing.AllocsPerRun(100, func() {
		s.AddSample(key, 512)
		s.AddSampleWithLabels(key, 512, labels)
		s.IncrCounter([]string{"raft", "apply"}, 1)
	}); n != 0 {
		t.Errorf("%v allocations per known sample, want 0", n)
	}
}

// BenchmarkRaftSample measures one of hashicorp/raft's timings through
// go-metrics into each sink, as configured before (go-metrics'
// PrometheusSink, service name "iamd") and now.
func BenchmarkRaftSample(b *testing.B) {
	old, err := gmprometheus.NewPrometheusSinkFrom(gmprometheus.PrometheusOpts{
		Registerer: prometheus.NewRegistry(), Expiration: 10 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, service string
		sink          gometrics.MetricSink
	}{{"PrometheusSink", "iamd", old}, {"raftSink", "", newRaftSink()}} {
		b.Run(c.name, func(b *testing.B) {
			cfg := gometrics.DefaultConfig(c.service)
			cfg.EnableHostname, cfg.EnableRuntimeMetrics = false, false
			m, err := gometrics.New(cfg, c.sink)
			if err != nil {
				b.Fatal(err)
			}
			key, start := []string{"raft", "commitTime"}, time.Now()
			b.ReportAllocs()
			for b.Loop() {
				m.MeasureSince(key, start)
			}
		})
	}
}

// Raft's goroutines measure at the same time, often a metric none has
// measured before; every sample is counted once. (Run with -race too.)
func TestRaftSinkConcurrentSamples(t *testing.T) {
	s := newRaftSink()
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				s.AddSample([]string{"raft", "shared"}, 1)
				s.AddSample([]string{"raft", fmt.Sprintf("own%d", g)}, float32(i))
				s.IncrCounter([]string{"raft", "count"}, 1)
			}
		})
	}
	wg.Wait()
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)
	want := map[string]string{
		"iamd_raft_shared": fmt.Sprintf("histogram %d", goroutines*each),
		"iamd_raft_count":  fmt.Sprintf("counter %d", goroutines*each),
	}
	for g := range goroutines {
		want[fmt.Sprintf("iamd_raft_own%d", g)] = fmt.Sprintf("histogram %d", each)
	}
	if got := series(t, reg); !maps.Equal(got, want) {
		t.Errorf("gathered %v, want %v", got, want)
	}
}
