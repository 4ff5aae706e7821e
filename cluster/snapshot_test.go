package cluster_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"
)

// tarFiles returns the files of a snapshot archive by name.
func tarFiles(t *testing.T, archive []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

// withState returns the archive with state.bin replaced and SHA256SUMS
// to match; SHA256SUMS.sealed no longer matches, so it restores only
// with force.
func withState(t *testing.T, archive []byte, state string) []byte {
	t.Helper()
	files := tarFiles(t, archive)
	files["state.bin"] = []byte(state)
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	files["SHA256SUMS"] = []byte(sum(files["meta.json"]) + "  meta.json\n" + sum(files["state.bin"]) + "  state.bin\n")
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"meta.json", "state.bin", "SHA256SUMS", "SHA256SUMS.sealed"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(files[name]))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(files[name])
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

func TestSnapshotSaveAndRestoreOnEveryNode(t *testing.T) {
	nodes := threeNodes(t)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	before, _ := createToken(t, n2)

	// Saved through a follower, which relays it from the leader; vault/api
	// checks that SHA256SUMS.sealed is present and non-empty.
	var snap bytes.Buffer
	if err := n3.client(rootToken).Sys().RaftSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	files := tarFiles(t, snap.Bytes())
	for _, n := range []string{"meta.json", "state.bin", "SHA256SUMS", "SHA256SUMS.sealed"} {
		if len(files[n]) == 0 {
			t.Fatalf("archive entry %s missing or empty (%d entries)", n, len(files))
		}
	}
	if r := do(t, "GET", n3.url()+"/v1/sys/storage/raft/snapshot", rootToken, nil, "X-Vault-No-Request-Forwarding", "1"); r.status != 307 ||
		r.header.Get("Location") != n1.url()+"/v1/sys/storage/raft/snapshot" {
		t.Fatalf("snapshot on a follower: %d %q", r.status, r.header.Get("Location"))
	}

	after, idx := createToken(t, n3)
	if r := do(t, "GET", n2.url()+"/v1/auth/token/lookup-self", after, nil, "X-Iamd-Index", idx); r.status != 200 {
		t.Fatalf("token before restore: %d", r.status)
	}

	if err := n2.client(rootToken).Sys().RaftSnapshotRestore(bytes.NewReader(snap.Bytes()), false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "every node to hold the restored state", func() bool {
		d := n1.node.FSM().Digest()
		return n2.node.FSM().Digest() == d && n3.node.FSM().Digest() == d
	})
	for _, n := range nodes {
		if r := do(t, "GET", n.url()+"/v1/auth/token/lookup-self", before, nil); r.status != 200 {
			t.Fatalf("token from before the snapshot on %s: %d", n.id, r.status)
		}
		if r := do(t, "GET", n.url()+"/v1/auth/token/lookup-self", after, nil); r.status != 403 {
			t.Fatalf("token from after the snapshot still valid on %s: %d", n.id, r.status)
		}
	}
	// The cluster keeps working after the restore.
	tok, idx := createToken(t, n3)
	for _, n := range nodes {
		if r := do(t, "GET", n.url()+"/v1/auth/token/lookup-self", tok, nil, "X-Iamd-Index", idx); r.status != 200 {
			t.Fatalf("write after restore not visible on %s: %d %s", n.id, r.status, r.errors())
		}
	}

	t.Run("refusals", func(t *testing.T) {
		other := newNode(t, "x1", nodeOpts{}).start()
		other.initialize()
		r := do(t, "POST", other.url()+"/v1/sys/storage/raft/snapshot", rootToken, nil)
		if r.status != 400 || !strings.Contains(r.errors(), "not a valid iamd snapshot") {
			t.Fatalf("empty body: %d %s", r.status, r.errors())
		}
		err := other.client(rootToken).Sys().RaftSnapshotRestore(bytes.NewReader(snap.Bytes()), false)
		if err == nil || !strings.Contains(err.Error(), "not taken with this cluster's keyring") {
			t.Fatalf("foreign snapshot: %v", err)
		}
		tampered := bytes.Clone(snap.Bytes())
		tampered[len(tampered)/2] ^= 0xff
		if err := other.client(rootToken).Sys().RaftSnapshotRestore(bytes.NewReader(tampered), true); err == nil {
			t.Fatal("a corrupted archive was restored")
		}
		// A well-formed archive whose state has a row Restore would
		// refuse is refused before Raft installs it (Raft would panic on
		// the FSM's refusal), and the cluster is unchanged.
		digest := n1.node.FSM().Digest()
		bad := withState(t, snap.Bytes(), `{"format":"iamd-fsm","version":1,"index":1}`+"\n"+`{"t":"iam_users","o":{"UserName":"no-id"}}`+"\n")
		err = n2.client(rootToken).Sys().RaftSnapshotRestore(bytes.NewReader(bad), true)
		if err == nil || !strings.Contains(err.Error(), "snapshot state is unreadable") {
			t.Fatalf("state with a row missing its ID: %v", err)
		}
		if tok, idx := createToken(t, n1); n1.node.FSM().Digest() == digest {
			t.Fatal("no write after the refused restore")
		} else if r := do(t, "GET", n3.url()+"/v1/auth/token/lookup-self", tok, nil, "X-Iamd-Index", idx); r.status != 200 {
			t.Fatalf("cluster after the refused restore: %d %s", r.status, r.errors())
		}
		if r := do(t, "GET", n1.url()+"/v1/sys/storage/raft/snapshot", "", nil); r.status != 403 {
			t.Fatalf("snapshot without a token: %d", r.status)
		}
	})
}
