package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// checkedLogStore stores a CRC-32C of every Raft log entry beside it (in
// the entry's Extensions, which raft leaves to middleware) and checks it on
// every read. bbolt checks its pages' structure but not the bytes of the
// values: without this, a flipped byte inside a stored command is applied
// as if it were the command, and the node serves a state no other node
// has. Entries stored before the checksum existed carry none and are read
// unchecked.
type checkedLogStore struct {
	*raftboltdb.BoltStore
}

var logSumPrefix = []byte("iamd-crc32c:")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func logSum(l *raft.Log) []byte {
	var hdr [17]byte
	binary.BigEndian.PutUint64(hdr[0:], l.Index)
	binary.BigEndian.PutUint64(hdr[8:], l.Term)
	hdr[16] = byte(l.Type)
	sum := crc32.Update(crc32.Checksum(hdr[:], castagnoli), castagnoli, l.Data)
	return binary.BigEndian.AppendUint32(append([]byte(nil), logSumPrefix...), sum)
}

// sealed returns a copy of l carrying its checksum; raft keeps l itself.
func sealed(l *raft.Log) *raft.Log {
	c := *l
	c.Extensions = logSum(l)
	return &c
}

func (s checkedLogStore) StoreLog(l *raft.Log) error {
	return s.BoltStore.StoreLog(sealed(l))
}

func (s checkedLogStore) StoreLogs(logs []*raft.Log) error {
	out := make([]*raft.Log, len(logs))
	for i, l := range logs {
		out[i] = sealed(l)
	}
	return s.BoltStore.StoreLogs(out)
}

func (s checkedLogStore) GetLog(index uint64, l *raft.Log) error {
	if err := s.BoltStore.GetLog(index, l); err != nil {
		return err
	}
	if !bytes.HasPrefix(l.Extensions, logSumPrefix) {
		return nil // written before checksums
	}
	if l.Index != index || !bytes.Equal(l.Extensions, logSum(l)) {
		return fmt.Errorf("raft log entry %d fails its checksum", index)
	}
	l.Extensions = nil
	return nil
}

// verifyLog reads every entry of the log once, so that a damaged entry
// stops the node at start with a clear message instead of being applied.
// Entries missing at or below the newest snapshot's index are normal: a
// follower that installs a snapshot from the leader keeps the part of its
// log that precedes it, so its log can have a hole below the snapshot.
func verifyLog(path string, logs raft.LogStore, snapshotIndex uint64) error {
	first, err := logs.FirstIndex()
	if err != nil {
		return fmt.Errorf("raft log %s: %w", path, err)
	}
	last, err := logs.LastIndex()
	if err != nil {
		return fmt.Errorf("raft log %s: %w", path, err)
	}
	if first == 0 {
		return nil
	}
	var l raft.Log
	for i := first; i <= last; i++ {
		if err := logs.GetLog(i, &l); err != nil {
			if errors.Is(err, raft.ErrLogNotFound) {
				if i <= snapshotIndex {
					continue
				}
				err = errors.New("entry missing from the middle of the log, after the newest snapshot")
			}
			return fmt.Errorf("raft log %s is damaged at index %d (%v): refusing to start; restore the node from a snapshot or reset it and rejoin the cluster", path, i, err)
		}
	}
	return nil
}
