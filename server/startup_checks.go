package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
)

// Checks run before Raft opens a node's files. A damaged file must stop the
// node with a message that names it: bbolt panics on some corrupt pages,
// and Raft, when the newest snapshot is unreadable, silently restores an
// older one and then panics ("log not found") on the log entries that were
// compacted after it, or worse serves the older state.

// verifyBoltFile opens the Raft log read-only and runs bbolt's consistency
// check, turning a panic on a corrupt page into an error.
func verifyBoltFile(path string) (err error) {
	if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
		return nil
	}
	// A page pointer past the end of a cut file is a fault in bbolt's
	// memory map: made a panic here (this goroutine only), then an error.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("raft log %s is corrupt (%v): refusing to start; restore the node from a snapshot or reset it and rejoin the cluster", path, r)
		}
	}()
	// Read-write, because a read-only open skips the freelist, which
	// raft-boltdb's own open then reads (and panics on).
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("raft log %s is unreadable (%v): refusing to start; restore the node from a snapshot or reset it and rejoin the cluster", path, err)
	}
	tx, err := db.Begin(false)
	if err != nil {
		db.Close()
		return fmt.Errorf("raft log %s: %w", path, err)
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	// Check runs in a goroutine of its own, where a fault cannot be
	// caught: a file shorter than the pages its metadata counts is
	// refused first.
	if tx.Size() > size {
		tx.Rollback()
		db.Close()
		return fmt.Errorf("raft log %s is truncated (%d bytes, its metadata counts %d): refusing to start; restore the node from a snapshot or reset it and rejoin the cluster",
			path, size, tx.Size())
	}
	// bbolt's check loops forever on some corrupt page graphs (a page
	// that leads back to itself), so it is bounded: about a second per
	// 10 MB is plenty for a healthy file.
	limit := time.NewTimer(10*time.Second + time.Duration(size/(10<<20))*time.Second)
	defer limit.Stop()
	var problems []string
	ch := tx.Check()
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				tx.Rollback()
				db.Close()
				if len(problems) > 0 {
					return fmt.Errorf("raft log %s is corrupt (%s): refusing to start; restore the node from a snapshot or reset it and rejoin the cluster",
						path, strings.Join(problems, "; "))
				}
				return nil
			}
			if len(problems) < 3 {
				problems = append(problems, e.Error())
			}
		case <-limit.C:
			// The check still holds the transaction: the file stays open,
			// which does not matter, since the node is not starting.
			return fmt.Errorf("raft log %s is corrupt (its consistency check did not finish: the page graph is likely damaged): refusing to start; restore the node from a snapshot or reset it and rejoin the cluster", path)
		}
	}
}

// checkSnapshots makes sure the state Raft will restore is the newest one:
// the newest snapshot must open (its CRC is checked), or an older good one
// must be followed by the whole log after it. It returns the index of the
// snapshot Raft will restore (0 without one).
func checkSnapshots(dir string, snaps raft.SnapshotStore, logs raft.LogStore, log hclog.Logger) (uint64, error) {
	metas, err := snaps.List() // newest first; snapshots with unreadable metadata are left out
	if err != nil {
		return 0, fmt.Errorf("list raft snapshots: %w", err)
	}
	var newest uint64
	if len(metas) > 0 {
		newest = metas[0].Index
	}
	if hidden := unlistedNewerSnapshot(dir, metas, newest); hidden != "" {
		return 0, fmt.Errorf("raft snapshot %s has unreadable metadata and is newer than every readable one: refusing to start rather than serve an older state; restore a backup or reset the node and rejoin the cluster", hidden)
	}
	var damaged []string
	for i, m := range metas {
		_, rc, err := snaps.Open(m.ID) // reads the whole file and checks its CRC
		if err != nil {
			damaged = append(damaged, fmt.Sprintf("%s: %v", m.ID, err))
			continue
		}
		rc.Close()
		if i == 0 {
			return m.Index, nil
		}
		first, err := logs.FirstIndex()
		if err == nil && first != 0 && first <= m.Index+1 {
			log.Warn("newest raft snapshots are damaged; restoring an older one, the log covers what follows it",
				"damaged", strings.Join(damaged, "; "), "using", m.ID)
			return m.Index, nil
		}
		return 0, fmt.Errorf("raft snapshot damaged (%s) and the log was compacted past the older good snapshot %s: refusing to start rather than serve a state with entries missing; restore a backup or reset the node and rejoin the cluster",
			strings.Join(damaged, "; "), m.ID)
	}
	if len(damaged) > 0 {
		return 0, fmt.Errorf("every raft snapshot is damaged (%s): refusing to start; restore a backup or reset the node and rejoin the cluster",
			strings.Join(damaged, "; "))
	}
	return 0, nil
}

// unlistedNewerSnapshot returns a snapshot directory (named
// term-index-millis by raft) that List left out and whose index is above
// newest.
func unlistedNewerSnapshot(dir string, metas []*raft.SnapshotMeta, newest uint64) string {
	listed := map[string]bool{}
	for _, m := range metas {
		listed[m.ID] = true
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasSuffix(name, ".tmp") || listed[name] {
			continue
		}
		var term, index, millis uint64
		if n, _ := fmt.Sscanf(name, "%d-%d-%d", &term, &index, &millis); n == 3 && index > newest {
			return filepath.Join(dir, "snapshots", name)
		}
	}
	return ""
}
