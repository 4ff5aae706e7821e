package cluster_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"iamd/internal/telemetry"
)

// forwardedWrites is how many forwarded writes each stage of
// iamd_forward_duration_seconds has counted in this process.
func forwardedWrites(t *testing.T, stage string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := telemetry.Forwarded.WithLabelValues(stage).(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// A write sent to a follower is timed in both stages: waiting for the
// leader, then for the follower's own apply. A write sent to the leader is
// in neither.
func TestForwardedWriteStagesTimed(t *testing.T) {
	nodes, _ := initializedCluster(t)
	leader := leaderOf(nodes)
	if leader == nil {
		t.Fatal("no leader")
	}
	var follower *testNode
	for _, n := range nodes {
		if n != leader {
			follower = n
			break
		}
	}
	leader0, local0 := forwardedWrites(t, "leader"), forwardedWrites(t, "local")
	createToken(t, leader)
	if d := forwardedWrites(t, "leader") - leader0; d != 0 {
		t.Errorf("a write on the leader counted %d forwarded writes", d)
	}
	createToken(t, follower)
	if d := forwardedWrites(t, "leader") - leader0; d != 1 {
		t.Errorf("stage leader counted %d writes for one forwarded write", d)
	}
	if d := forwardedWrites(t, "local") - local0; d != 1 {
		t.Errorf("stage local counted %d writes for one forwarded write", d)
	}
}
