package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	bolt "go.etcd.io/bbolt"
)

func writeLogs(t *testing.T, path string, n int) {
	t.Helper()
	store, err := raftboltdb.New(raftboltdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	logs := checkedLogStore{store}
	var batch []*raft.Log
	for i := 1; i <= n; i++ {
		batch = append(batch, &raft.Log{Index: uint64(i), Term: 1, Type: raft.LogCommand, Data: []byte(strings.Repeat("x", 200))})
	}
	if err := logs.StoreLogs(batch); err != nil {
		t.Fatal(err)
	}
	if batch[0].Extensions != nil {
		t.Fatal("StoreLogs changed raft's own entries")
	}
	var got raft.Log
	if err := logs.GetLog(3, &got); err != nil || got.Extensions != nil || !bytes.Equal(got.Data, batch[2].Data) {
		t.Fatalf("GetLog: %v %+v", err, got)
	}
	store.Close()
}

// A byte flipped inside a stored command is caught at start, not applied.
func TestVerifyLogCatchesAFlippedByte(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	writeLogs(t, path, 10)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("logs"))
		k, v := b.Cursor().Seek([]byte{0, 0, 0, 0, 0, 0, 0, 7})
		v = bytes.Clone(v)
		i := bytes.Index(v, []byte("xxxx"))
		v[i] = 'y'
		return b.Put(k, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	store, err := raftboltdb.New(raftboltdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = verifyLog(path, checkedLogStore{store}, 0)
	if err == nil || !strings.Contains(err.Error(), "damaged at index 7") || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("verifyLog = %v", err)
	}
}

// A cut bolt file is an error that names it, not a panic in bbolt.
func TestVerifyBoltFileRefusesATruncatedFile(t *testing.T) {
	for _, cut := range []int64{4 << 10, 8 << 10, 20 << 10, 100 << 10} {
		path := filepath.Join(t.TempDir(), "raft.db")
		writeLogs(t, path, 2000)
		if err := verifyBoltFile(path); err != nil {
			t.Fatalf("intact file: %v", err)
		}
		if err := os.Truncate(path, cut); err != nil {
			t.Fatal(err)
		}
		err := verifyBoltFile(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "refusing to start") {
			t.Fatalf("cut to %d bytes: verifyBoltFile = %v", cut, err)
		}
	}
}

// A hole below the newest snapshot is what a follower's log looks like
// after it installed a snapshot from the leader: not damage. A hole after
// it is.
func TestVerifyLogHoles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	writeLogs(t, path, 20)
	store, err := raftboltdb.New(raftboltdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.DeleteRange(8, 12); err != nil {
		t.Fatal(err)
	}
	if err := verifyLog(path, checkedLogStore{store}, 15); err != nil {
		t.Fatalf("hole below the snapshot: %v", err)
	}
	if err := verifyLog(path, checkedLogStore{store}, 5); err == nil || !strings.Contains(err.Error(), "index 8") {
		t.Fatalf("hole after the snapshot: %v", err)
	}
}
