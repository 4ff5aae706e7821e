// Package config loads a node's HCL configuration file (see config.hcl at the
// repository root for a commented example). Unknown keys and bad values are
// reported with file:line. Imports hcl/v2 and the standard library only.
package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Node is a node's configuration.
type Node struct {
	NodeID   string     `hcl:"node_id"`
	DataDir  string     `hcl:"data_dir"`
	APIAddr  string     `hcl:"api_addr,optional"`
	LogLevel string     `hcl:"log_level,optional"`
	Listener []Listener `hcl:"listener,block"`
	Cluster  *Cluster   `hcl:"cluster,block"`
}

// Listener is the HTTP listener serving both dialects.
type Listener struct {
	Type            string `hcl:"type,label"`
	Address         string `hcl:"address"`
	TLSDisable      bool   `hcl:"tls_disable,optional"`
	TLSCertFile     string `hcl:"tls_cert_file,optional"`
	TLSKeyFile      string `hcl:"tls_key_file,optional"`
	TLSClientCAFile string `hcl:"tls_client_ca_file,optional"`
	// MaxRequestSize in bytes; default 32 MiB as in Vault.
	MaxRequestSize int64 `hcl:"max_request_size,optional"`
	// Request limits (api/limit) and HTTP timeouts (listener.go).
	MaxConcurrentRequests       int     `hcl:"max_concurrent_requests,optional"`
	ClientMaxConcurrentRequests int     `hcl:"client_max_concurrent_requests,optional"`
	ClientRequestsPerSecond     float64 `hcl:"client_requests_per_second,optional"`
	ClientBurst                 int     `hcl:"client_burst,optional"`
	HTTPReadHeaderTimeout       string  `hcl:"http_read_header_timeout,optional"`
	HTTPReadTimeout             string  `hcl:"http_read_timeout,optional"`
	HTTPWriteTimeout            string  `hcl:"http_write_timeout,optional"`
	HTTPIdleTimeout             string  `hcl:"http_idle_timeout,optional"`
}

// Cluster configures Raft and gossip.
type Cluster struct {
	RaftAddress string `hcl:"raft_address"`
	// RaftAdvertiseAddress is the address peers dial to reach this node's
	// Raft when it differs from the one it binds (NAT, or a proxy in front
	// of it, as the fault tests do). Defaults to RaftAddress.
	RaftAdvertiseAddress string   `hcl:"raft_advertise_address,optional"`
	GossipAddress        string   `hcl:"gossip_address,optional"`
	RetryJoin            []string `hcl:"retry_join,optional"`
	// GossipKey (base64 of 16, 24 or 32 bytes) encrypts gossip and
	// authenticates automatic joins (retry_join); the same on every node.
	GossipKey string `hcl:"gossip_key,optional"`
	// TLS between nodes (raft transport and forwarding); all three or none.
	TLSCertFile string `hcl:"tls_cert_file,optional"`
	TLSKeyFile  string `hcl:"tls_key_file,optional"`
	TLSCAFile   string `hcl:"tls_ca_file,optional"`
	// ApplyTimeout bounds how long a write waits for Raft, as a Go duration.
	ApplyTimeout string `hcl:"apply_timeout,optional"`
	// Snapshot tuning (0 or "" keep the defaults): a snapshot is taken when
	// SnapshotThreshold entries were applied since the last one, checked
	// every SnapshotInterval; TrailingLogs entries stay in the log after it.
	SnapshotThreshold int    `hcl:"snapshot_threshold,optional"`
	SnapshotInterval  string `hcl:"snapshot_interval,optional"`
	TrailingLogs      int    `hcl:"trailing_logs,optional"`
	// Raft timings as Go durations ("" keeps the default, see
	// raft_timing.go): how soon a dead leader is replaced, and how long a
	// stall the leader and followers tolerate.
	HeartbeatTimeout   string `hcl:"heartbeat_timeout,optional"`
	ElectionTimeout    string `hcl:"election_timeout,optional"`
	LeaderLeaseTimeout string `hcl:"leader_lease_timeout,optional"`
	CommitTimeout      string `hcl:"commit_timeout,optional"`
}

// DefaultMaxRequestSize is Vault's default max_request_size.
const DefaultMaxRequestSize = 32 << 20

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Load parses and validates the file at path.
func Load(path string) (*Node, error) {
	p := hclparse.NewParser()
	file, diags := p.ParseHCLFile(path)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	return decode(file)
}

// Parse parses and validates src as if read from filename (for tests).
func Parse(filename string, src []byte) (*Node, error) {
	file, diags := hclparse.NewParser().ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	return decode(file)
}

func decode(file *hcl.File) (*Node, error) {
	var n Node
	if diags := gohcl.DecodeBody(file.Body, nil, &n); diags.HasErrors() {
		return nil, diagError(diags)
	}
	v := validator{body: file.Body}
	n.validate(&v)
	if len(v.errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(v.errs, "\n"))
	}
	n.applyDefaults()
	return &n, nil
}

func diagError(diags hcl.Diagnostics) error {
	var msgs []string
	for _, d := range diags {
		loc := ""
		if d.Subject != nil {
			loc = fmt.Sprintf("%s:%d: ", d.Subject.Filename, d.Subject.Start.Line)
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		msgs = append(msgs, loc+msg)
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}

// validator collects value errors, each located at its attribute.
type validator struct {
	body hcl.Body
	errs []string
}

func (v *validator) fail(block, attr, format string, args ...any) {
	v.errs = append(v.errs, v.where(block, attr)+fmt.Sprintf(format, args...))
}

// where returns "file:line: " for an attribute at top level (block "") or
// in the first block of the given type.
func (v *validator) where(block, attr string) string {
	body, ok := v.body.(*hclsyntax.Body)
	if !ok {
		return ""
	}
	if block != "" {
		found := false
		for _, b := range body.Blocks {
			if b.Type == block {
				body, found = b.Body, true
				break
			}
		}
		if !found {
			return ""
		}
	}
	if a, ok := body.Attributes[attr]; ok {
		return fmt.Sprintf("%s:%d: ", a.SrcRange.Filename, a.SrcRange.Start.Line)
	}
	return fmt.Sprintf("%s:%d: ", body.SrcRange.Filename, body.SrcRange.Start.Line)
}

func (n *Node) validate(v *validator) {
	if !nodeIDPattern.MatchString(n.NodeID) {
		v.fail("", "node_id", "node_id %q must be 1-64 letters, digits, '_', '.' or '-'", n.NodeID)
	}
	if n.DataDir == "" {
		v.fail("", "data_dir", "data_dir must not be empty")
	}
	if n.APIAddr != "" {
		if u, err := url.Parse(n.APIAddr); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.fail("", "api_addr", "api_addr %q must be an http:// or https:// URL", n.APIAddr)
		}
	}
	switch n.LogLevel {
	case "", "trace", "debug", "info", "warn", "error":
	default:
		v.fail("", "log_level", "log_level %q must be one of trace, debug, info, warn, error", n.LogLevel)
	}
	if len(n.Listener) != 1 || n.Listener[0].Type != "tcp" {
		v.fail("", "listener", "exactly one listener \"tcp\" block is required")
	} else {
		l := n.Listener[0]
		if !validHostPort(l.Address) {
			v.fail("listener", "address", "listener address %q must be host:port", l.Address)
		}
		if !l.TLSDisable && (l.TLSCertFile == "" || l.TLSKeyFile == "") {
			v.fail("listener", "tls_disable", "set tls_cert_file and tls_key_file, or tls_disable = true")
		}
		if l.MaxRequestSize < 0 {
			v.fail("listener", "max_request_size", "max_request_size must not be negative")
		}
		l.validateLimits(v)
	}
	if n.Cluster == nil {
		v.fail("", "cluster", "a cluster block with raft_address is required")
		return
	}
	c := n.Cluster
	if !validHostPort(c.RaftAddress) {
		v.fail("cluster", "raft_address", "raft_address %q must be host:port", c.RaftAddress)
	}
	if c.RaftAdvertiseAddress != "" && !validHostPort(c.RaftAdvertiseAddress) {
		v.fail("cluster", "raft_advertise_address", "raft_advertise_address %q must be host:port", c.RaftAdvertiseAddress)
	}
	if c.GossipAddress != "" && !validHostPort(c.GossipAddress) {
		v.fail("cluster", "gossip_address", "gossip_address %q must be host:port", c.GossipAddress)
	}
	for _, j := range c.RetryJoin {
		if !validHostPort(j) {
			v.fail("cluster", "retry_join", "retry_join entry %q must be host:port", j)
		}
	}
	if c.GossipKey != "" && c.GossipKeyBytes() == nil {
		v.fail("cluster", "gossip_key", "gossip_key must be base64 of 16, 24 or 32 random bytes (for example: openssl rand -base64 32)")
	}
	if len(c.RetryJoin) > 0 && c.GossipAddress == "" {
		v.fail("cluster", "retry_join", "retry_join lists gossip addresses, so gossip_address must be set too")
	}
	tlsSet := 0
	for _, f := range []string{c.TLSCertFile, c.TLSKeyFile, c.TLSCAFile} {
		if f != "" {
			tlsSet++
		}
	}
	if tlsSet != 0 && tlsSet != 3 {
		v.fail("cluster", "tls_ca_file", "cluster TLS needs tls_cert_file, tls_key_file and tls_ca_file together")
	}
	if c.SnapshotThreshold < 0 || c.TrailingLogs < 0 {
		v.fail("cluster", "snapshot_threshold", "snapshot_threshold and trailing_logs must not be negative")
	}
	if c.SnapshotInterval != "" {
		if d, err := time.ParseDuration(c.SnapshotInterval); err != nil || d < 5*time.Millisecond {
			v.fail("cluster", "snapshot_interval", "snapshot_interval %q must be a duration of at least 5ms such as \"2m\"", c.SnapshotInterval)
		}
	}
	if c.ApplyTimeout != "" {
		if d, err := time.ParseDuration(c.ApplyTimeout); err != nil || d <= 0 {
			v.fail("cluster", "apply_timeout", "apply_timeout %q must be a positive duration such as \"10s\"", c.ApplyTimeout)
		}
	}
	c.validateRaftTimeouts(v)
}

func (n *Node) applyDefaults() {
	l := &n.Listener[0]
	if l.MaxRequestSize == 0 {
		l.MaxRequestSize = DefaultMaxRequestSize
	}
	l.limitDefaults()
	if n.APIAddr == "" {
		scheme := "https"
		if l.TLSDisable {
			scheme = "http"
		}
		n.APIAddr = scheme + "://" + l.Address
	}
}

// GossipKeyBytes decodes gossip_key; nil when unset or invalid.
func (c *Cluster) GossipKeyBytes() []byte {
	k, err := base64.StdEncoding.DecodeString(c.GossipKey)
	if err != nil {
		return nil
	}
	switch len(k) {
	case 16, 24, 32:
		return k
	}
	return nil
}

// RaftAdvertise is the Raft address peers dial: raft_advertise_address,
// else raft_address.
func (c *Cluster) RaftAdvertise() string {
	if c.RaftAdvertiseAddress != "" {
		return c.RaftAdvertiseAddress
	}
	return c.RaftAddress
}

// ApplyTimeoutOr returns the configured apply timeout, or def.
func (c *Cluster) ApplyTimeoutOr(def time.Duration) time.Duration {
	if d, err := time.ParseDuration(c.ApplyTimeout); err == nil && d > 0 {
		return d
	}
	return def
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return false
	}
	_ = host // empty host means all interfaces
	_, err = net.LookupPort("tcp", port)
	return err == nil
}
