package server

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/iamerr"
)

// Raft snapshot archive (sys/storage/raft/snapshot), shaped like Vault's
// and Consul's: a gzip'd tar of
//
//	meta.json          what was saved: index, term, cluster, time
//	state.bin          the FSM snapshot stream (fsm.WriteSnapshot)
//	SHA256SUMS         "<hex>  <name>" for the two files above
//	SHA256SUMS.sealed  SHA256SUMS sealed with the cluster keyring
//
// The sealed sums prove the archive was made with this cluster's keyring,
// without which its sealed secrets and token HMACs are useless; restore
// checks them unless forced. vault/api's RaftSnapshot refuses an archive
// whose SHA256SUMS.sealed is missing or empty.

// SnapshotMeta is meta.json.
type SnapshotMeta struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Index     uint64    `json:"index"`
	Term      uint64    `json:"term"`
	NodeID    string    `json:"node_id"`
	ClusterID string    `json:"cluster_id"`
	CreatedAt time.Time `json:"created_at"`
}

const (
	snapshotFormat = "iamd-raft-snapshot"
	snapshotAAD    = "iamd raft snapshot sums"
)

// SaveSnapshot writes a snapshot archive of this node's state to w.
func (n *Node) SaveSnapshot(w io.Writer) error {
	k, err := n.requireKeyring()
	if err != nil {
		return err
	}
	r, err := n.liveRaft()
	if err != nil {
		return err
	}
	state, err := os.CreateTemp("", "iamd-snapshot-*")
	if err != nil {
		return iamerr.New(iamerr.Internal, "snapshot: %v", err)
	}
	defer os.Remove(state.Name())
	defer state.Close()
	stateSum := sha256.New()
	if err := n.fsm.WriteSnapshot(io.MultiWriter(state, stateSum)); err != nil {
		return iamerr.New(iamerr.Internal, "snapshot: %v", err)
	}
	size, err := state.Seek(0, io.SeekCurrent)
	if err != nil {
		return iamerr.New(iamerr.Internal, "snapshot: %v", err)
	}
	if _, err := state.Seek(0, io.SeekStart); err != nil {
		return iamerr.New(iamerr.Internal, "snapshot: %v", err)
	}
	term, _ := strconv.ParseUint(r.Stats()["term"], 10, 64)
	meta := SnapshotMeta{Format: snapshotFormat, Version: 1, Index: n.fsm.AppliedIndex(), Term: term,
		NodeID: n.id, CreatedAt: n.now().UTC()}
	if c := n.State().Cluster(); c != nil {
		meta.ClusterID = c.ClusterID
	}
	metaRaw, _ := json.MarshalIndent(meta, "", "  ")
	metaSum := sha256.Sum256(metaRaw)
	sums := fmt.Sprintf("%s  meta.json\n%s  state.bin\n", hex.EncodeToString(metaSum[:]), hex.EncodeToString(stateSum.Sum(nil)))
	sealed := k.Seal([]byte(sums), snapshotAAD)

	// Fastest compression: twice as fast as the default level on a
	// 100 MB state for a 3% larger archive (docs/benchmarks.md).
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	put := func(name string, size int64, body io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: meta.CreatedAt}); err != nil {
			return err
		}
		_, err := io.Copy(tw, body)
		return err
	}
	for _, f := range []struct {
		name string
		size int64
		body io.Reader
	}{
		{"meta.json", int64(len(metaRaw)), bytes.NewReader(metaRaw)},
		{"state.bin", size, bufio.NewReader(state)},
		{"SHA256SUMS", int64(len(sums)), strings.NewReader(sums)},
		{"SHA256SUMS.sealed", int64(len(sealed)), bytes.NewReader(sealed)},
	} {
		if err := put(f.name, f.size, f.body); err != nil {
			return iamerr.New(iamerr.Internal, "snapshot: write %s: %v", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return iamerr.New(iamerr.Internal, "snapshot: %v", err)
	}
	if err := gz.Close(); err != nil {
		return iamerr.New(iamerr.Internal, "snapshot: %v", err)
	}
	return nil
}

// RestoreSnapshot replaces the whole cluster's state with an archive made
// by SaveSnapshot. It runs on the leader, through Raft's user restore: the
// leader installs the state and every follower receives it as a snapshot.
// Without force the archive must have been sealed with this cluster's
// keyring.
func (n *Node) RestoreSnapshot(ctx context.Context, archive io.Reader, force bool) error {
	r, err := n.liveRaft()
	if err != nil {
		return err
	}
	if r.State() != raft.Leader {
		return iamerr.New(iamerr.Unavailable, "snapshot restore must run on the leader")
	}
	k, err := n.requireKeyring()
	if err != nil {
		return err
	}
	snap, err := readArchive(archive)
	if err != nil {
		return err
	}
	defer os.Remove(snap.state.Name())
	defer snap.state.Close()
	if !force {
		opened, err := k.Open(snap.sealed, snapshotAAD)
		if err != nil || !bytes.Equal(opened, snap.sums) {
			return iamerr.New(iamerr.Invalid,
				"snapshot was not taken with this cluster's keyring, so its secrets could not be opened here; use snapshot-force to restore it anyway")
		}
	}
	// Raft panics when the FSM rejects a user snapshot it has already
	// installed, so the state is checked first.
	if _, err := snap.state.Seek(0, io.SeekStart); err != nil {
		return iamerr.New(iamerr.Internal, "restore: %v", err)
	}
	if err := fsm.CheckSnapshot(snap.state); err != nil {
		return iamerr.New(iamerr.Invalid, "snapshot state is unreadable: %v", err)
	}
	if _, err := snap.state.Seek(0, io.SeekStart); err != nil {
		return iamerr.New(iamerr.Internal, "restore: %v", err)
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Index: snap.meta.Index, Term: snap.meta.Term, Size: snap.size}
	timeout := max(n.applyTimeout, time.Minute)
	if err := r.Restore(meta, snap.state, timeout); err != nil {
		return iamerr.New(iamerr.Unavailable, "raft restore: %v", err)
	}
	n.log.Info("snapshot restored", "source_index", snap.meta.Index, "source_node", snap.meta.NodeID, "forced", force)
	return nil
}

type archiveParts struct {
	meta   SnapshotMeta
	state  *os.File
	size   int64
	sums   []byte
	sealed []byte
}

// readArchive unpacks and checks a snapshot archive; state.bin goes to a
// temporary file, which the caller removes.
func readArchive(archive io.Reader) (*archiveParts, error) {
	bad := func(format string, args ...any) error {
		return iamerr.New(iamerr.Invalid, "not a valid iamd snapshot: "+format, args...)
	}
	gz, err := gzip.NewReader(archive)
	if err != nil {
		return nil, bad("%v", err)
	}
	state, err := os.CreateTemp("", "iamd-restore-*")
	if err != nil {
		return nil, iamerr.New(iamerr.Internal, "restore: %v", err)
	}
	p := &archiveParts{state: state}
	ok := false
	defer func() {
		if !ok {
			state.Close()
			os.Remove(state.Name())
		}
	}()
	sums := map[string]string{}
	var metaRaw []byte
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad("%v", err)
		}
		h256 := sha256.New()
		switch h.Name {
		case "meta.json":
			metaRaw, err = io.ReadAll(io.LimitReader(tr, 1<<20))
			h256.Write(metaRaw)
		case "state.bin":
			p.size, err = io.Copy(io.MultiWriter(state, h256), tr)
		case "SHA256SUMS":
			p.sums, err = io.ReadAll(io.LimitReader(tr, 1<<16))
		case "SHA256SUMS.sealed":
			p.sealed, err = io.ReadAll(io.LimitReader(tr, 1<<16))
		default:
			return nil, bad("unexpected file %q", h.Name)
		}
		if err != nil {
			return nil, bad("read %s: %v", h.Name, err)
		}
		sums[h.Name] = hex.EncodeToString(h256.Sum(nil))
	}
	if metaRaw == nil || p.sums == nil || len(p.sealed) == 0 {
		return nil, bad("meta.json, state.bin, SHA256SUMS and SHA256SUMS.sealed are all required")
	}
	if err := json.Unmarshal(metaRaw, &p.meta); err != nil || p.meta.Format != snapshotFormat {
		return nil, bad("meta.json is not an iamd snapshot description")
	}
	listed := 0
	for _, line := range strings.Split(strings.TrimSpace(string(p.sums)), "\n") {
		sum, name, found := strings.Cut(line, "  ")
		if !found {
			return nil, bad("malformed SHA256SUMS line %q", line)
		}
		if got, present := sums[name]; !present || got != sum {
			return nil, bad("checksum mismatch for %s", name)
		}
		listed++
	}
	if listed != 2 {
		return nil, bad("SHA256SUMS must list meta.json and state.bin")
	}
	ok = true
	return p, nil
}
