package cluster

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"iamd/iamerr"
	"iamd/server/keyring"
)

// Node-to-node calls: POST /v1/sys/internal/cluster/<op> on a peer's API
// listener. Every request and every answer carries an HMAC-SHA256 over the
// method, path, sender, time, nonce and body hash, keyed by one of:
//
//	cluster  derived from the keyring root: every member holds it
//	join     derived from cluster.gossip_key: retry_join's first step
//	token    derived from the caller's token, sent along and checked on the
//	         peer for the root policy: the operator's join
//
// A request more than rpcWindow away from the peer's clock, or whose nonce
// was already seen, is refused, so a recorded call cannot be replayed.
const (
	internalPrefix = "/v1/sys/internal/cluster/"
	hdrNode        = "X-Iamd-Node"
	hdrTime        = "X-Iamd-Time"
	hdrNonce       = "X-Iamd-Nonce"
	hdrAuth        = "X-Iamd-Auth"
	hdrSignature   = "X-Iamd-Signature"
	rpcWindow      = 30 * time.Second
	maxRPCBody     = 64 << 20
)

type authKind string

const (
	authCluster authKind = "cluster"
	authJoin    authKind = "join"
	authToken   authKind = "token"
)

// signer is a key and the kind that tells the peer which key to use.
type signer struct {
	kind  authKind
	key   []byte
	token string // sent along with authToken only
}

func deriveKey(secret []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		panic(err) // only for invalid lengths, which 32 is not
	}
	return k
}

// derivedKey is the cluster key and the keyring it was derived from.
type derivedKey struct {
	from *keyring.Keyring
	key  []byte
}

// clusterSigner signs with the keyring-derived key; ok is false before the
// node holds a keyring. The key is derived once per keyring (a keyring's
// root never changes; a new root is a new Keyring), not on every call.
func (c *Cluster) clusterSigner() (signer, bool) {
	k := c.node.Keyring()
	if k == nil {
		return signer{}, false
	}
	d := c.rpcKey.Load()
	if d == nil || d.from != k {
		d = &derivedKey{from: k, key: deriveKey(k.Export(), "iamd cluster rpc v1")}
		c.rpcKey.Store(d)
	}
	return signer{kind: authCluster, key: d.key}, true
}

func tokenSigner(token string) signer {
	return signer{kind: authToken, key: deriveKey([]byte(token), "iamd join token v1"), token: token}
}

func mac(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}

func bodyHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// nonceCache remembers nonces for at least 2*rpcWindow, long enough to cover
// the whole time a signed request is acceptable, in two generations that
// rotate so pruning costs nothing.
type nonceCache struct {
	mu        sync.Mutex
	cur, prev map[string]struct{}
	rotated   time.Time
}

func (n *nonceCache) seen(nonce string, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur == nil || now.Sub(n.rotated) > 2*rpcWindow {
		n.prev, n.cur, n.rotated = n.cur, map[string]struct{}{}, now
	}
	if _, ok := n.cur[nonce]; ok {
		return true
	}
	if _, ok := n.prev[nonce]; ok {
		return true
	}
	n.cur[nonce] = struct{}{}
	return false
}

// rpcError is the body of every failed call.
type rpcError struct {
	Error         *iamerr.Error `json:"error"`
	LeaderAPIAddr string        `json:"leader_api_addr,omitempty"`
}

// notLeaderError says the peer is not the leader; nothing was done, so the
// call can be sent again to the leader it names (if any).
type notLeaderError struct{ leader string }

func (e *notLeaderError) Error() string { return "peer is not the leader" }

// transportError is a failure to talk to the peer. dial is true when the
// request never left this node, so retrying cannot apply anything twice.
type transportError struct {
	addr string
	err  error
	dial bool
}

func (e *transportError) Error() string { return fmt.Sprintf("%s unreachable: %v", e.addr, e.err) }

// traceSent returns req with a trace that records whether any attempt
// wrote the request to a connection.
func traceSent(req *http.Request) (*http.Request, *atomic.Bool) {
	sent := new(atomic.Bool)
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { sent.Store(true) }}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), trace)), sent
}

// neverSent tells a failure after which the peer certainly did not get the
// request. A dial error alone does not say it: with Idempotency-Key,
// net/http resends a request whose pooled connection broke before the
// answer, and when the peer died after receiving it (and maybe applying
// it), the resend's dial error is what comes back.
func neverSent(err error, sent *atomic.Bool) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && !sent.Load()
}

// call sends one signed request to the peer at base (an API address) and
// decodes its answer into out. in is JSON-encoded unless it is []byte.
func (c *Cluster) call(ctx context.Context, client *http.Client, base, op string, s signer, in, out any) error {
	body, ok := in.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return iamerr.New(iamerr.Internal, "encode %s: %v", op, err)
		}
	}
	path := internalPrefix + op
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return iamerr.New(iamerr.Invalid, "bad peer address %q: %v", base, err)
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), newNonce()
	req.Header.Set(hdrNode, c.node.ID())
	req.Header.Set(hdrTime, ts)
	req.Header.Set(hdrNonce, nonce)
	req.Header.Set(hdrAuth, string(s.kind))
	req.Header.Set(hdrSignature, mac(s.key, http.MethodPost, path, c.node.ID(), ts, nonce, bodyHash(body)))
	// Lets net/http resend the request on a fresh connection when a pooled
	// one turns out dead before any answer (a peer restarted). A resend
	// that did reach the peer carries the same nonce and is refused as a
	// replay, so nothing can be applied twice.
	req.Header.Set("Idempotency-Key", nonce)
	if s.kind == authToken {
		req.Header.Set("X-Vault-Token", s.token)
	}
	req, sent := traceSent(req)
	resp, err := client.Do(req)
	if err != nil {
		return &transportError{addr: base, err: err, dial: neverSent(err, sent)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxRPCBody))
	if err != nil {
		return &transportError{addr: base, err: err}
	}
	want := mac(s.key, "response", nonce, strconv.Itoa(resp.StatusCode), bodyHash(raw))
	if !hmac.Equal([]byte(resp.Header.Get(hdrSignature)), []byte(want)) {
		if resp.Header.Get(hdrSignature) == "" {
			return iamerr.New(iamerr.Unavailable, "%s did not answer as an iamd cluster node (status %d: %s)",
				base, resp.StatusCode, strings.TrimSpace(string(raw[:min(len(raw), 200)])))
		}
		return iamerr.New(iamerr.Unavailable, "the answer from %s failed authentication", base)
	}
	if resp.StatusCode != http.StatusOK {
		var e rpcError
		if err := json.Unmarshal(raw, &e); err != nil || e.Error == nil {
			return iamerr.New(iamerr.Internal, "%s answered %d", base, resp.StatusCode)
		}
		if e.Error.Code == "not_leader" {
			return &notLeaderError{leader: e.LeaderAPIAddr}
		}
		return e.Error
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return iamerr.New(iamerr.Internal, "decode %s answer from %s: %v", op, base, err)
		}
	}
	return nil
}

// caller is who sent an internal request, once its signature checked out.
type caller struct {
	node  string
	kind  authKind
	token string
}

type handlerFunc func(ctx context.Context, from caller, body []byte) (any, error)

type handler struct {
	fn    handlerFunc
	kinds []authKind // which keys may sign a call to this op
}

// Wrap serves the internal cluster paths and hands every other request to
// next (the API). Over TLS it first checks the client certificate
// (mtls.go): internal calls need one from the cluster CA.
func (c *Cluster) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internal := strings.HasPrefix(r.URL.Path, internalPrefix)
		if err := c.checkClientCert(r, internal); err != nil {
			vaultError(w, http.StatusForbidden, err.Error())
			return
		}
		if internal {
			c.serveInternal(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (c *Cluster) keyFor(kind authKind, r *http.Request) []byte {
	switch kind {
	case authCluster:
		if s, ok := c.clusterSigner(); ok {
			return s.key
		}
	case authJoin:
		return c.joinKey
	case authToken:
		if t := r.Header.Get("X-Vault-Token"); t != "" {
			return tokenSigner(t).key
		}
	}
	return nil
}

func (c *Cluster) serveInternal(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, internalPrefix)
	h, ok := c.handlers[op]
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRPCBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	kind := authKind(r.Header.Get(hdrAuth))
	key := c.keyFor(kind, r)
	nonce := r.Header.Get(hdrNonce)
	if key == nil {
		// Without a key there is nothing to sign the answer with either.
		http.Error(w, "this node cannot authenticate "+string(kind)+" calls", http.StatusUnauthorized)
		return
	}
	reply := func(status int, v any) {
		raw, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(hdrSignature, mac(key, "response", nonce, strconv.Itoa(status), bodyHash(raw)))
		w.WriteHeader(status)
		w.Write(raw)
	}
	fail := func(err error) {
		var nl *notLeaderError
		if errors.As(err, &nl) {
			reply(http.StatusMisdirectedRequest, rpcError{
				Error:         iamerr.WithCode(iamerr.Unavailable, "not_leader", "this node is not the leader"),
				LeaderAPIAddr: nl.leader,
			})
			return
		}
		e := iamerr.As(err)
		reply(statusFor(e.Kind), rpcError{Error: e})
	}
	from := caller{node: r.Header.Get(hdrNode), kind: kind, token: r.Header.Get("X-Vault-Token")}
	ts, err := strconv.ParseInt(r.Header.Get(hdrTime), 10, 64)
	if err != nil || nonce == "" {
		fail(iamerr.New(iamerr.Unauthorized, "unsigned cluster call"))
		return
	}
	want := mac(key, r.Method, r.URL.Path, from.node, r.Header.Get(hdrTime), nonce, bodyHash(body))
	if !hmac.Equal([]byte(r.Header.Get(hdrSignature)), []byte(want)) {
		fail(iamerr.New(iamerr.Unauthorized, "cluster call signature does not match: wrong %s key", kind))
		return
	}
	now := time.Now()
	if d := now.Sub(time.Unix(ts, 0)); d > rpcWindow || d < -rpcWindow {
		fail(iamerr.New(iamerr.Unauthorized, "cluster call is %s away from this node's clock", d.Round(time.Second)))
		return
	}
	if c.nonces.seen(nonce, now) {
		fail(iamerr.New(iamerr.Unauthorized, "replayed cluster call"))
		return
	}
	allowed := false
	for _, k := range h.kinds {
		allowed = allowed || k == kind
	}
	if !allowed {
		fail(iamerr.New(iamerr.Denied, "%s calls may not use %s", op, kind))
		return
	}
	res, err := h.fn(r.Context(), from, body)
	if err != nil {
		fail(err)
		return
	}
	reply(http.StatusOK, res)
}

func statusFor(k iamerr.Kind) int {
	switch k {
	case iamerr.Invalid, iamerr.Limit:
		return http.StatusBadRequest
	case iamerr.Conflict:
		return http.StatusConflict
	case iamerr.NotFound:
		return http.StatusNotFound
	case iamerr.Denied, iamerr.Unauthorized:
		return http.StatusForbidden
	case iamerr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
