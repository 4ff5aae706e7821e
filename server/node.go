package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/config"
	"iamd/server/keyring"
)

// Options configure a node. Exactly one of Config and Dev is set.
type Options struct {
	Config *config.Node
	Dev    *DevOptions
	Logger hclog.Logger
	// Now is the node's clock; tests inject one. Defaults to time.Now.
	Now func() time.Time
	// TuneRaft adjusts the Raft configuration before Raft starts; tests use
	// it for short timeouts.
	TuneRaft func(*raft.Config)
}

// DevOptions are the -dev flags: one in-memory node that initialises itself.
type DevOptions struct {
	ListenAddress       string
	RootTokenID         string
	RootAccessKeyID     string
	RootSecretAccessKey string
}

// Node is one iamd server.
type Node struct {
	id       string
	apiAddr  string
	raftAddr string
	dataDir  string // "" in dev mode
	dev      bool
	log      hclog.Logger
	now      func() time.Time

	fsm          *fsm.FSM
	applyTimeout time.Duration
	cfg          *config.Node // nil in dev mode
	tuneRaft     func(*raft.Config)

	// Raft and what it runs on. A reset (cluster.go) replaces all of them,
	// so the instance is read through an atomic pointer; transport and
	// closers change only under raftMu.
	raftp     atomic.Pointer[raft.Raft]
	raftMu    sync.Mutex
	transport raft.Transport
	closers   []io.Closer
	removed   atomic.Bool
	// boot is what this node must apply before it answers from its state
	// (catchup.go).
	boot bootCatchUp

	acls      aclCache
	iam       iamState
	keyring   atomic.Pointer[keyring.Keyring]
	forwarder atomic.Value // Forwarder
	peers     atomic.Value // PeerDirectory
	// membership is the cluster package's Membership (cluster.go).
	membership atomic.Value

	devCreds *InitResult

	initMu   sync.Mutex
	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup

	leaderEvents chan raft.Observation // leadership.go
	activeSince  atomic.Int64          // unix ns this node became leader, 0 when not
}

// New builds a node and starts Raft. A dev node is initialised before New
// returns; a configured node waits for `operator init` or a join.
func New(opts Options) (*Node, error) {
	logger := opts.Logger
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "iamd", Level: hclog.Info})
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	n := &Node{log: logger, now: now, fsm: fsm.New(), stop: make(chan struct{}), applyTimeout: 10 * time.Second,
		tuneRaft: opts.TuneRaft, leaderEvents: make(chan raft.Observation, 16)}
	var err error
	if opts.Dev != nil {
		err = n.startDev(opts.Dev)
	} else if opts.Config != nil {
		err = n.startConfigured(opts.Config)
	} else {
		err = errors.New("server: neither Config nor Dev options given")
	}
	if err != nil {
		n.Shutdown()
		return nil, err
	}
	n.wg.Add(3)
	go n.tidyLoop()
	go n.keyUseLoop()
	go n.leadershipLoop()
	return n, nil
}

func (n *Node) raftConfig() *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(n.id)
	c.Logger = n.log.Named("raft")
	// Let concurrent writes share one log append and fsync.
	c.BatchApplyCh = true
	c.MaxAppendEntries = 256
	c.SnapshotThreshold = 8192
	c.TrailingLogs = 10240
	// Followers learn the commit index only from AppendEntries (heartbeats
	// do not carry it), and when no new entry follows a write the leader
	// sends the next one after CommitTimeout, randomised up to twice that
	// (hashicorp/raft replication.go). A follower that forwarded a write
	// waits for it to apply locally before answering (apply.go), so this is
	// its extra latency at low load: 5 ms instead of the default 50 ms, at
	// the cost of an empty AppendEntries per follower every 5-10 ms at idle.
	c.CommitTimeout = config.DefaultCommitTimeout // commit_timeout
	// Replication metrics only with a peer_id label, not also under names
	// that contain the peer's ID (one more metric name per peer ever seen).
	c.NoLegacyTelemetry = true
	if n.cfg != nil && n.cfg.Cluster != nil {
		tuneSnapshots(n.cfg.Cluster, c)
		tuneTimeouts(n.cfg.Cluster, c)
	}
	if n.tuneRaft != nil {
		n.tuneRaft(c)
	}
	return c
}

func (n *Node) startDev(d *DevOptions) error {
	n.id, n.dev = "dev", true
	n.apiAddr = "http://" + d.ListenAddress
	n.raftAddr = "inmem-dev"
	n.keyring.Store(keyring.Generate())
	store := raft.NewInmemStore()
	addr, trans := raft.NewInmemTransport(raft.ServerAddress(n.raftAddr))
	n.transport = trans
	c := n.raftConfig()
	// A single in-memory node needs no election back-off.
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond
	r, err := raft.NewRaft(c, n.fsm, store, store, raft.NewInmemSnapshotStore(), trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.raftp.Store(r)
	n.observeLeadership(r)
	boot := raft.Configuration{Servers: []raft.Server{{ID: c.LocalID, Address: addr}}}
	if err := r.BootstrapCluster(boot).Error(); err != nil {
		return fmt.Errorf("bootstrap dev raft: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.devCreds, err = n.initialize(ctx, InitRequest{
		RootTokenID: d.RootTokenID, RootAccessKeyID: d.RootAccessKeyID, RootSecretAccessKey: d.RootSecretAccessKey,
	})
	return err
}

func (n *Node) startConfigured(cfg *config.Node) error {
	n.id = cfg.NodeID
	n.cfg = cfg
	n.apiAddr = cfg.APIAddr
	n.raftAddr = cfg.Cluster.RaftAdvertise()
	n.dataDir = cfg.DataDir
	n.applyTimeout = cfg.Cluster.ApplyTimeoutOr(10 * time.Second)
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "raft"), 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if k, err := keyring.Load(cfg.DataDir); err == nil {
		n.keyring.Store(k)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if removedMarkerExists(cfg.DataDir) {
		// A removed node must not campaign with its stale configuration:
		// it keeps Raft stopped until it is reset (see cluster.go).
		n.removed.Store(true)
		n.log.Warn("this node was removed from its cluster; it serves no writes until reset and rejoined")
		return nil
	}
	n.raftMu.Lock()
	defer n.raftMu.Unlock()
	return n.openRaft()
}

// openRaft opens the log, snapshot store and transport of a configured node
// and starts Raft. The caller holds raftMu.
func (n *Node) openRaft() error {
	raftDir := filepath.Join(n.dataDir, "raft")
	if err := os.MkdirAll(raftDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := verifyBoltFile(filepath.Join(raftDir, "raft.db")); err != nil {
		return err
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(raftDir, "raft.db")})
	if err != nil {
		return fmt.Errorf("open raft log %s: %w", filepath.Join(raftDir, "raft.db"), err)
	}
	n.closers = append(n.closers, bolt)
	logs := checkedLogStore{bolt}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(raftDir, 2, n.log.Named("snapshot"))
	if err != nil {
		return fmt.Errorf("open snapshot store: %w", err)
	}
	snapIndex, err := checkSnapshots(raftDir, snaps, logs, n.log)
	if err != nil {
		return err
	}
	if err := verifyLog(filepath.Join(raftDir, "raft.db"), logs, snapIndex); err != nil {
		return err
	}
	trans, err := n.newTransport(n.cfg)
	if err != nil {
		return err
	}
	n.transport = trans
	n.closers = append(n.closers, trans)
	hasState, err := raft.HasExistingState(logs, bolt, snaps)
	if err != nil {
		return fmt.Errorf("read raft state: %w", err)
	}
	lastIndex, err := logs.LastIndex()
	if err != nil {
		return fmt.Errorf("read raft log: %w", err)
	}
	n.boot.reset(logs, lastIndex)
	if hasState && n.keyring.Load() == nil {
		return fmt.Errorf("%s holds raft data but no %s: refusing to start without the keyring that sealed it",
			n.dataDir, keyring.FileName)
	}
	// The leader reads every new entry back to send it to each follower;
	// the cache answers those reads from memory instead of bolt (a read
	// transaction and a msgpack decode per entry per follower).
	cached, err := raft.NewLogCache(logCacheEntries, logs)
	if err != nil {
		return fmt.Errorf("raft log cache: %w", err)
	}
	r, err := raft.NewRaft(n.raftConfig(), n.fsm, cached, bolt, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.raftp.Store(r)
	n.observeLeadership(r)
	return nil
}

// logCacheEntries is how many recent log entries the raft log cache keeps:
// a few batches of MaxAppendEntries, as Vault and Consul do.
const logCacheEntries = 1024

func (n *Node) newTransport(cfg *config.Node) (*raft.NetworkTransport, error) {
	tlsConf, err := ClusterTLS(cfg.Cluster)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		return newTLSTransport(cfg.Cluster.RaftAddress, cfg.Cluster.RaftAdvertise(), tlsConf, n.log.Named("raft-net"))
	}
	advertise, err := net.ResolveTCPAddr("tcp", cfg.Cluster.RaftAdvertise())
	if err != nil {
		return nil, fmt.Errorf("raft_advertise_address: %w", err)
	}
	t, err := raft.NewTCPTransportWithLogger(cfg.Cluster.RaftAddress, advertise, 5, 10*time.Second, n.log.Named("raft-net"))
	if err != nil {
		return nil, fmt.Errorf("listen on raft_address %s: %w", cfg.Cluster.RaftAddress, err)
	}
	return t, nil
}

// Shutdown stops Raft and closes the stores. It is safe to call twice.
func (n *Node) Shutdown() error {
	var err error
	n.stopOnce.Do(func() {
		close(n.stop)
		n.wg.Wait()
		n.raftMu.Lock()
		defer n.raftMu.Unlock()
		err = n.closeRaft()
	})
	return err
}

// closeRaft stops Raft and closes its stores and transport. The caller
// holds raftMu.
func (n *Node) closeRaft() error {
	var err error
	if r := n.raftp.Load(); r != nil {
		err = r.Shutdown().Error()
	}
	for i := len(n.closers) - 1; i >= 0; i-- {
		n.closers[i].Close()
	}
	n.closers = nil
	return err
}

// ID is the node's Raft server ID.
func (n *Node) ID() string { return n.id }

// APIAddr is the address clients and peers use to reach this node's API.
func (n *Node) APIAddr() string { return n.apiAddr }

// RaftAddr is the node's Raft transport address.
func (n *Node) RaftAddr() string { return n.raftAddr }

// DataDir is the node's data directory, "" in dev mode.
func (n *Node) DataDir() string { return n.dataDir }

// Raft exposes the raft instance to the cluster package. It is nil on a
// node that was removed from its cluster and restarted, and changes when the
// node is reset: read it again rather than keep it.
func (n *Node) Raft() *raft.Raft { return n.raftp.Load() }

// FSM exposes the state machine to the cluster package (snapshots, waits).
func (n *Node) FSM() *fsm.FSM { return n.fsm }

// Logger returns the node's logger.
func (n *Node) Logger() hclog.Logger { return n.log }

// Now is the node's clock.
func (n *Node) Now() time.Time { return n.now() }

// Keyring returns the node's keyring, nil before init or join.
func (n *Node) Keyring() *keyring.Keyring { return n.keyring.Load() }

// Initialized reports whether the cluster state has been initialised.
func (n *Node) Initialized() bool { return n.fsm.State().Cluster() != nil }

// State returns a consistent read-only view of the local state.
func (n *Node) State() *fsm.State { return n.fsm.State() }

func (n *Node) requireKeyring() (*keyring.Keyring, error) {
	k := n.keyring.Load()
	if k == nil {
		return nil, iamerr.New(iamerr.Unavailable, "iamd is not initialized")
	}
	return k, nil
}

// tidyLoop removes expired tokens periodically, on the leader only.
func (n *Node) tidyLoop() {
	defer n.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
			if r := n.Raft(); r == nil || r.State() != raft.Leader || !n.Initialized() {
				continue
			}
			n.tidyTokens()
		}
	}
}

// TidyTokensPerEntry is how many tokens one TidyTokens entry looks at (a
// variable for tests). Removing 65,536 expired tokens of 131,072 in one
// entry held every node's FSM, and so every write, for 0.6 s; in entries
// of 1,024 none takes more than ~11 ms and the sweep less CPU, 0.43 s
// (`go test ./fsm -run '^$' -bench TidyTokens -benchtime 1x`).
var TidyTokensPerEntry = 1024

// tidyTokens sweeps the token table once, in entries of TidyTokensPerEntry
// tokens, all judged against the same time.
func (n *Node) tidyTokens() {
	cmd := fsm.TidyTokens{Time: n.now(), Limit: TidyTokensPerEntry}
	for {
		res, err := applyStep[fsm.TidyResult](context.Background(), n, fsm.CmdTidyTokens, cmd)
		if err != nil {
			n.log.Warn("token tidy failed", "error", err)
			return
		}
		if res.Next == "" {
			return
		}
		cmd.After = res.Next
	}
}

// applyStep applies one entry of a background sequence (the token sweep,
// the key-use flush): each entry has the apply timeout to itself, and none
// is proposed once the node is stopping.
func applyStep[T any](ctx context.Context, n *Node, t fsm.CommandType, cmd any) (T, error) {
	select {
	case <-n.stop:
		var zero T
		return zero, iamerr.New(iamerr.Unavailable, "the node is stopping")
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, n.applyTimeout)
	defer cancel()
	return applyAs[T](ctx, n, t, cmd)
}
