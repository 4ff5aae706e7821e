package server

import (
	"time"

	"github.com/hashicorp/raft"

	"iamd/server/config"
)

// tuneSnapshots applies the cluster block's snapshot_threshold,
// snapshot_interval and trailing_logs to c; unset keys keep c's values.
// Fault tests lower them to snapshot and compact often.
func tuneSnapshots(cl *config.Cluster, c *raft.Config) {
	if cl.SnapshotThreshold > 0 {
		c.SnapshotThreshold = uint64(cl.SnapshotThreshold)
	}
	if d, err := time.ParseDuration(cl.SnapshotInterval); err == nil && d > 0 {
		c.SnapshotInterval = d
	}
	if cl.TrailingLogs > 0 {
		c.TrailingLogs = uint64(cl.TrailingLogs)
	}
}
