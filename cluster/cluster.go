package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"

	"iamd/iamerr"
	"iamd/server"
	"iamd/server/config"
)

// Options tune a Cluster. Zero values are production defaults; tests
// shorten the intervals.
type Options struct {
	Logger hclog.Logger
	// Interval paces the background work: gossip metadata, leader
	// bookkeeping, promotion of non-voters, removal checks. Default 1s.
	Interval time.Duration
	// RetryJoinInterval paces retry_join attempts. Default 2s.
	RetryJoinInterval time.Duration
	// LeaderWait bounds how long a forwarded write waits for a leader to
	// appear before failing with 503. Default 5s.
	LeaderWait time.Duration
	// RemovalCheckAfter is how long a node goes without a leader before
	// it asks its peers whether it was removed. Default 5s.
	RemovalCheckAfter time.Duration
	// CatchUpTimeout bounds how long a join waits for the new node to
	// catch up before promoting it; past it the leader promotes it later.
	// Default 60s.
	CatchUpTimeout time.Duration
	// Gossip adjusts the memberlist configuration (tests: faster probes).
	Gossip func(*memberlist.Config)
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.Interval, time.Second)
	set(&o.RetryJoinInterval, 2*time.Second)
	set(&o.LeaderWait, 5*time.Second)
	set(&o.RemovalCheckAfter, 5*time.Second)
	set(&o.CatchUpTimeout, time.Minute)
}

// Cluster runs one node's membership: gossip, joins, forwarding,
// promotion and removal detection.
type Cluster struct {
	node     *server.Node
	cfg      *config.Node
	opts     Options
	log      hclog.Logger
	client   *http.Client      // node-to-node calls, with the node's cluster certificate
	proxy    http.RoundTripper // ProxyToLeader, without it
	peerTLS  *tls.Config
	joinKey  []byte // nil without cluster.gossip_key
	handlers map[string]handler
	nonces   nonceCache
	rpcKey   atomic.Pointer[derivedKey] // clusterSigner's key, derived once per keyring

	// With cluster TLS: the cluster CA file's PEM, and the listener's
	// tls_client_ca_file pool when ListenerTLS had to widen the handshake
	// (mtls.go).
	clusterCAPEM []byte
	apiClientCAs *x509.CertPool

	gossip   *memberlist.Memberlist
	delegate *delegate
	members  memberTable

	joinMu sync.Mutex
	// Maintenance goroutine only:
	noLeaderSince time.Time
	lastRemCheck  time.Time

	peerMu     sync.Mutex
	savedPeers peerCache // peers.json as last written (peercache.go)

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New starts clustering for a configured node: it installs the forwarder,
// peer directory and membership on the node, starts gossip when
// cluster.gossip_address is set, and starts the background loops.
func New(node *server.Node, cfg *config.Node, opts Options) (*Cluster, error) {
	if node.IsDev() || cfg == nil || cfg.Cluster == nil {
		return nil, errors.New("cluster: a configured node with a cluster block is required")
	}
	opts.defaults()
	tlsConf, err := server.ClusterTLS(cfg.Cluster)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		node: node, cfg: cfg, opts: opts, log: opts.Logger.Named("cluster"),
		peerTLS: server.PeerTLS(tlsConf), stop: make(chan struct{}),
	}
	// server.PeerTLS keeps the node's certificate from the cluster TLS
	// configuration: peers' API listeners request it, and Wrap on their
	// side refuses internal calls without it (mtls.go).
	c.client = c.httpClient(c.peerTLS)
	c.proxy = c.httpClient(withoutClientCert(c.peerTLS)).Transport
	if c.peerTLS != nil {
		if c.clusterCAPEM, err = os.ReadFile(cfg.Cluster.TLSCAFile); err != nil {
			return nil, fmt.Errorf("cluster TLS: %w", err)
		}
		if len(cfg.Listener) > 0 && cfg.Listener[0].TLSDisable {
			c.log.Warn("cluster TLS is configured but the API listener is plain HTTP: internal cluster calls on it are authenticated by the keyring HMAC only, without client certificates")
		}
	}
	if gk := cfg.Cluster.GossipKeyBytes(); gk != nil {
		c.joinKey = deriveKey(gk, "iamd join v1")
	}
	c.handlers = map[string]handler{
		"apply":       {c.handleApply, []authKind{authCluster}},
		"remove-peer": {c.handleRemovePeer, []authKind{authCluster}},
		"removed":     {c.handleRemoved, []authKind{authCluster}},
		"state":       {c.handleState, []authKind{authCluster}},
		"join-info":   {c.handleJoinInfo, []authKind{authToken, authJoin, authCluster}},
		"add":         {c.handleAdd, []authKind{authCluster}},
		"promote":     {c.handlePromote, []authKind{authCluster}},
	}
	if cfg.Cluster.GossipAddress != "" {
		if err := c.startGossip(); err != nil {
			return nil, err
		}
	}
	c.savedPeers = c.loadPeerCache()
	node.SetForwarder(c)
	node.SetPeerDirectory(c)
	node.SetMembership(c)
	c.wg.Add(1)
	go c.maintain()
	if len(cfg.Cluster.RetryJoin) > 0 {
		if c.joinKey == nil {
			c.log.Warn("retry_join without gossip_key: nodes find each other, but an uninitialised node cannot join by itself (use iamd operator raft join)")
		}
		c.wg.Add(1)
		go c.retryJoinLoop()
	}
	return c, nil
}

// httpClient builds a client for node-to-node calls; roots, when set,
// verify the peer instead of the cluster CA (a join's leader_ca_cert).
func (c *Cluster) httpClient(tlsConf *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		TLSClientConfig:     tlsConf,
	}}
}

// withoutClientCert returns conf without the node's certificate.
func withoutClientCert(conf *tls.Config) *tls.Config {
	if conf == nil {
		return nil
	}
	conf = conf.Clone()
	conf.Certificates = nil
	return conf
}

// joinClient is the client for a join's calls: the cluster's, or one that
// trusts the CA bundle the operator passed.
func (c *Cluster) joinClient(caPEM string) (*http.Client, error) {
	if caPEM == "" {
		return c.client, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return nil, iamerr.New(iamerr.Invalid, "leader_ca_cert holds no PEM certificate")
	}
	conf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if c.peerTLS != nil {
		conf.Certificates = c.peerTLS.Certificates
	}
	return c.httpClient(conf), nil
}

// Shutdown leaves gossip politely and stops the background loops.
func (c *Cluster) Shutdown() {
	c.stopOnce.Do(func() {
		close(c.stop)
		if c.gossip != nil {
			c.gossip.Leave(time.Second)
			c.gossip.Shutdown()
		}
		c.wg.Wait()
	})
}

// Kill stops everything without telling the peers, as a crash would.
func (c *Cluster) Kill() {
	c.stopOnce.Do(func() {
		close(c.stop)
		if c.gossip != nil {
			c.gossip.Shutdown()
		}
		c.wg.Wait()
	})
}

// sleep waits d, or returns false if the cluster is stopping.
func (c *Cluster) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.stop:
		return false
	case <-t.C:
		return true
	}
}

// maintain runs the periodic work of every node.
func (c *Cluster) maintain() {
	defer c.wg.Done()
	for c.sleep(c.opts.Interval) {
		c.updateMeta()
		c.savePeerCache()
		c.rejoinGossip()
		c.leaderDuties()
		c.checkRemoved()
	}
}
