package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/internal/benchids"
	"iamd/server/keyring"
)

// The scale phase: state with many users, each with one access key, made
// by applying CreateUser and CreateAccessKey commands to an in-memory FSM
// (the same apply functions every node runs) and restored onto a running
// 3-node cluster with `iamd operator raft snapshot restore`. Users sit in
// accounts of 500 (Apply enforces AWS's UsersPerAccount quota of 5000 by
// counting the account's users, so smaller accounts keep generation
// fast): user i is in account 100000000000+i/500; only the initialised
// account has an account row, which authentication does not need. Reads
// are self-service GetUser calls signed with the key of a random user, so
// every read looks up one key among all of them.

func scaleSecret(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("iamd-bench-secret-%d", i)))
	return hex.EncodeToString(sum[:])[:40]
}

// scaleState builds states on top of the cluster's own (its root
// token, account and keyring), adding users in order.
type scaleState struct {
	f     *fsm.FSM
	kr    *keyring.Keyring
	index uint64
	term  uint64
	meta  map[string]any
	users int
	t0    time.Time
}

func (s *scaleState) apply(t fsm.CommandType, cmd any) error {
	data, err := fsm.Encode(t, cmd)
	if err != nil {
		return err
	}
	s.index++
	res, ok := s.f.Apply(&raft.Log{Index: s.index, Term: s.term, Type: raft.LogCommand, Data: data}).(*fsm.Result)
	if !ok {
		return fmt.Errorf("command %d: no result", t)
	}
	return res.Err
}

// grow adds users up to n.
func (s *scaleState) grow(n int) error {
	for i := s.users; i < n; i++ {
		u := fsm.IAMUser{AccountID: benchids.AccountID(i), UserID: benchids.UserID(i), UserName: benchids.UserName(i), Path: "/", CreateDate: s.t0}
		if err := s.apply(fsm.CmdCreateUser, fsm.CreateUser{User: u}); err != nil {
			return fmt.Errorf("user %d: %w", i, err)
		}
		k := fsm.AccessKey{AccessKeyID: benchids.KeyID(i), AccountID: u.AccountID, UserName: u.UserName, UserID: u.UserID,
			Status: "Active", CreateDate: s.t0, SecretCiphertext: s.kr.Seal([]byte(scaleSecret(i)), benchids.KeyID(i))}
		if err := s.apply(fsm.CmdCreateAccessKey, fsm.CreateAccessKey{Key: k, UserName: u.UserName}); err != nil {
			return fmt.Errorf("key %d: %w", i, err)
		}
	}
	s.users = n
	return nil
}

// writeArchive writes the state as a snapshot archive in the format of
// `operator raft snapshot save` (server/snapshot.go), sealed with the
// cluster's keyring.
func (s *scaleState) writeArchive(path string) error {
	var state bytes.Buffer
	if err := s.f.WriteSnapshot(&state); err != nil {
		return err
	}
	meta := map[string]any{}
	for k, v := range s.meta {
		meta[k] = v
	}
	meta["index"], meta["term"], meta["created_at"] = s.index, s.term, time.Now().UTC()
	metaRaw, _ := json.MarshalIndent(meta, "", "  ")
	ms, ss := sha256.Sum256(metaRaw), sha256.Sum256(state.Bytes())
	sums := fmt.Sprintf("%s  meta.json\n%s  state.bin\n", hex.EncodeToString(ms[:]), hex.EncodeToString(ss[:]))
	sealed := s.kr.Seal([]byte(sums), "iamd raft snapshot sums")
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		body []byte
	}{{"meta.json", metaRaw}, {"state.bin", state.Bytes()}, {"SHA256SUMS", []byte(sums)}, {"SHA256SUMS.sealed", sealed}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o600, Size: int64(len(f.body)), ModTime: time.Now()}); err != nil {
			return err
		}
		if _, err := tw.Write(f.body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// loadScaleBase reads the cluster's current state from a snapshot archive
// saved through the CLI.
func loadScaleBase(archive string, kr *keyring.Keyring) (*scaleState, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	s := &scaleState{f: fsm.New(), kr: kr, t0: time.Now().UTC().Truncate(time.Second)}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch h.Name {
		case "meta.json":
			if err := json.NewDecoder(tr).Decode(&s.meta); err != nil {
				return nil, err
			}
		case "state.bin":
			if err := s.f.Restore(io.NopCloser(tr)); err != nil {
				return nil, err
			}
		}
	}
	idx, _ := s.meta["index"].(float64)
	term, _ := s.meta["term"].(float64)
	s.index, s.term = max(uint64(idx), s.f.AppliedIndex()), uint64(term)
	return s, nil
}

func (c *iamdCluster) cli(args ...string) (time.Duration, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), "IAMD_TOKEN="+c.token)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("iamd %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return time.Since(t0), nil
}

// selfGetUser signs GetUser of user i with user i's own key, during the
// run: unlike the read phase's, these requests are not signed ahead, as a
// pool of a few thousand would turn reads of random keys among N (what
// this phase measures: the nodes' secret and signing-key caches mostly
// miss) into reads of a few thousand cached keys.
func selfGetUser(ic *iamdCluster, s *awsSigner, users int) op {
	return func(c, i int) error {
		u := rand.IntN(users)
		sc := &awsSigner{signer: s.signer, creds: aws.Credentials{AccessKeyID: benchids.KeyID(u), SecretAccessKey: scaleSecret(u)}}
		return sc.iamCall(ic, c, url.Values{"Action": {"GetUser"}, "UserName": {benchids.UserName(u)}})
	}
}

// waitServes waits until node answers a signed read of the last user.
func waitServes(ic *iamdCluster, s *awsSigner, n *iamdNode, users int, within time.Duration) error {
	last := users - 1
	sc := &awsSigner{signer: s.signer, creds: aws.Credentials{AccessKeyID: benchids.KeyID(last), SecretAccessKey: scaleSecret(last)}}
	one := &iamdCluster{http: ic.http, nodes: []*iamdNode{n}}
	deadline := time.Now().Add(within)
	for {
		err := sc.iamCall(one, 0, url.Values{"Action": {"GetUser"}, "UserName": {benchids.UserName(last)}})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not serve user %d after %s: %v", n.id, last, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func runScale(o options, root, dir, bin string, client *http.Client) error {
	ic := newIamdCluster(bin, dir, o.iamdPort, client)
	defer ic.down()
	if err := ic.up(); err != nil {
		return fmt.Errorf("iamd cluster: %w (logs in %s)", err, dir)
	}
	signer := newAWSSigner(ic.rootAK, ic.rootSK)
	leader := ic.leader()
	kr, err := keyring.Load(ic.nodes[0].dataDir)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, "base.snap")
	if _, err := ic.cli("operator", "raft", "snapshot", "save", "-address="+leader.api, base); err != nil {
		return err
	}
	st, err := loadScaleBase(base, kr)
	if err != nil {
		return fmt.Errorf("read base snapshot: %w", err)
	}
	const small = 1000
	type stage struct {
		users                     int
		gen, write, save, restore time.Duration
		restoreCLI                time.Duration // until the leader has installed it
		fsmRestore                []string      // each node's FSM restore time, the leader's first
		read                      result
		collections               []string // each node's completed GC cycles during the reads
		nodeUse                   []string // each node's CPU and minor page faults during the reads
		rss                       []int64
		archiveSize               int64
	}
	var stages []stage
	for _, n := range []int{small, o.scaleUsers} {
		s := stage{users: n}
		t0 := time.Now()
		if err := st.grow(n); err != nil {
			return err
		}
		s.gen = time.Since(t0)
		archive := filepath.Join(dir, fmt.Sprintf("users-%d.snap", n))
		t0 = time.Now()
		if err := st.writeArchive(archive); err != nil {
			return err
		}
		s.write = time.Since(t0)
		if fi, err := os.Stat(archive); err == nil {
			s.archiveSize = fi.Size()
		}
		if n == o.scaleUsers {
			// The generator's state is as large as a node's: give it back
			// before four nodes hold it too.
			st = nil
			debug.FreeOSMemory()
		}
		fmt.Fprintf(os.Stderr, "%d users: generated in %s, archive %.1f MiB\n", n, fmtDur(s.gen), float64(s.archiveSize)/(1<<20))
		leader = ic.leader()
		t0 = time.Now()
		if s.restoreCLI, err = ic.cli("operator", "raft", "snapshot", "restore", "-address="+leader.api, archive); err != nil {
			return err
		}
		for _, node := range ic.nodes {
			if err := waitServes(ic, signer, node, n, 5*time.Minute); err != nil {
				return err
			}
		}
		s.restore = time.Since(t0)
		if l := ic.leader(); l != nil {
			s.fsmRestore = append(s.fsmRestore, lastRestore(ic, l)+" (leader "+l.id+")")
			for _, node := range ic.nodes {
				if node != l {
					s.fsmRestore = append(s.fsmRestore, lastRestore(ic, node)+" ("+node.id+")")
				}
			}
		}
		t0 = time.Now()
		if _, err := ic.cli("operator", "raft", "snapshot", "save", "-address="+ic.leader().api, filepath.Join(dir, "saved.snap")); err != nil {
			return err
		}
		s.save = time.Since(t0)
		closedLoop(16, time.Second, selfGetUser(ic, signer, n)) // warm connections
		// A collection asked for now runs before the profile, which is of the
		// window alone.
		if o.collectFirst {
			collectNow(ic)
		}
		var stopProfile func()
		if o.profile != "" {
			sb := &bench{o: o, ic: ic, dir: dir}
			stopProfile = sb.profileNodes(fmt.Sprintf("scale %d", n))
		}
		gcBefore := gcCycles(ic)
		var usedBefore []usage
		for _, node := range ic.nodes {
			usedBefore = append(usedBefore, node.proc.usage())
		}
		s.read = closedLoop(64, o.duration, selfGetUser(ic, signer, n))
		for i, after := range gcCycles(ic) {
			s.collections = append(s.collections, fmt.Sprintf("%s %s", ic.nodes[i].id, cycleDelta(gcBefore[i], after)))
			used := ic.nodes[i].proc.usage()
			s.nodeUse = append(s.nodeUse, fmt.Sprintf("%s %s user + %s system, %d faults", ic.nodes[i].id,
				fmtDur(used.user-usedBefore[i].user), fmtDur(used.system-usedBefore[i].system), used.minorFaults-usedBefore[i].minorFaults))
		}
		if stopProfile != nil {
			stopProfile()
		}
		for _, node := range ic.nodes {
			s.rss = append(s.rss, node.proc.rssBytes())
		}
		stages = append(stages, s)
	}
	if o.keep {
		saveDiagnostics(ic, dir)
	}

	rep.printf("scale: users with one access key each, state restored from a generated snapshot; reads: self GetUser signed by a random user's key during the run, 64 clients, %s\n", o.duration)
	rep.printf("%9s %10s %9s %9s %8s %9s %12s %9s %10s %s\n", "users", "ops/s", "p50", "p99", "errors", "restore", "restore+sync", "save", "archive", "RSS per node")
	for _, s := range stages {
		var rss []string
		for _, r := range s.rss {
			rss = append(rss, fmt.Sprintf("%.0f MiB", float64(r)/(1<<20)))
		}
		rep.printf("%9d %10.0f %9s %9s %8d %9s %12s %9s %7.1fMiB %s\n", s.users, s.read.opsPerSec(), fmtDur(s.read.p50), fmtDur(s.read.p99),
			s.read.errs, fmtDur(s.restoreCLI), fmtDur(s.restore), fmtDur(s.save), float64(s.archiveSize)/(1<<20), strings.Join(rss, " "))
		if s.read.firstErr != nil {
			rep.printf("    first error: %.200v\n", s.read.firstErr)
		}
		rep.printf("    FSM restore per node: %s\n", strings.Join(s.fsmRestore, ", "))
		rep.printf("    collections during the reads: %s\n", strings.Join(s.collections, ", "))
		rep.printf("    CPU and minor page faults during the reads: %s\n", strings.Join(s.nodeUse, "; "))
	}
	if len(stages) == 2 && stages[0].read.p99 > 0 {
		rep.printf("p99 at %d users / p99 at %d: %.2fx\n", stages[1].users, stages[0].users, float64(stages[1].read.p99)/float64(stages[0].read.p99))
	}

	// A fresh node joins and catches up (it receives the state as a Raft
	// snapshot from the leader).
	n4, err := ic.newNode(4)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := ic.start(n4); err != nil {
		return err
	}
	ic.nodes = append(ic.nodes, n4)
	if err := ic.join(n4); err != nil {
		return err
	}
	joined := time.Since(t0)
	if err := waitServes(ic, signer, n4, o.scaleUsers, 5*time.Minute); err != nil {
		return err
	}
	// The new node's CPU went almost all to its restore; on a machine
	// where first touches of memory are dear, the system share shows it.
	u := n4.proc.usage()
	rep.printf("fresh node: start + join %s, serving the last user after %s (its FSM restore: %s); RSS %.0f MiB; CPU %s user + %s system, %d minor page faults\n",
		fmtDur(joined), fmtDur(time.Since(t0)), lastRestore(ic, n4), float64(n4.proc.rssBytes())/(1<<20),
		fmtDur(u.user), fmtDur(u.system), u.minorFaults)
	return nil
}
