package cluster

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// Joining, seen from the joining node:
//
//  1. join-info (signed with the operator's token, or the gossip key for
//     retry_join): any member answers with the cluster's identity, whether
//     this node is already in the Raft configuration, the leader's API
//     address, and the keyring root key encrypted to a one-time X25519
//     key of the joiner. Nothing changes anywhere, so a failure here
//     leaves the node untouched.
//  2. The joiner decides: already a member (nothing to do), initialised
//     as another cluster (refused), or join; it writes the keyring to its
//     data directory before any log entry can arrive.
//  3. add (signed with the cluster key it now holds): the leader adds it
//     as a non-voter and records its API address in the replicated state.
//  4. The joiner waits until it has applied what the leader had when it
//     was added, then asks for promote: the leader makes it a voter, so
//     the quorum never counts a node that is still far behind. If this
//     step does not finish, the leader's own loop promotes it later.

type joinInfoRequest struct {
	NodeID    string `json:"node_id"`
	RaftAddr  string `json:"raft_addr"`
	APIAddr   string `json:"api_addr"`
	PublicKey []byte `json:"public_key"`
}

type joinInfoReply struct {
	ClusterID     string `json:"cluster_id"`
	ClusterName   string `json:"cluster_name"`
	LeaderAPIAddr string `json:"leader_api_addr"`
	Member        bool   `json:"member"`
	Voter         bool   `json:"voter"`
	EphemeralKey  []byte `json:"ephemeral_key"`
	SealedRoot    []byte `json:"sealed_root"`
}

type addRequest struct {
	ID         string `json:"id"`
	RaftAddr   string `json:"raft_addr"`
	APIAddr    string `json:"api_addr"`
	GossipAddr string `json:"gossip_addr,omitempty"`
}

type addReply struct {
	Outcome string `json:"outcome"`
	Voter   bool   `json:"voter"`
	Index   uint64 `json:"index"`
}

type promoteRequest struct {
	ID      string `json:"id"`
	Applied uint64 `json:"applied"`
}

// Join implements server.Membership.
func (c *Cluster) Join(ctx context.Context, req server.JoinRequest) (*server.JoinResult, error) {
	u, err := url.Parse(req.LeaderAPIAddr)
	if req.LeaderAPIAddr == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, iamerr.New(iamerr.Invalid, "leader_api_addr %q must be the leader's API URL, like http://10.0.0.1:8200", req.LeaderAPIAddr)
	}
	client, err := c.joinClient(req.LeaderCACert)
	if err != nil {
		return nil, err
	}
	var s signer
	switch {
	case req.Token != "":
		s = tokenSigner(req.Token)
	case c.joinKey != nil:
		s = signer{kind: authJoin, key: c.joinKey}
	default:
		return nil, iamerr.New(iamerr.Invalid,
			"joining needs a token with the root policy on the cluster (IAMD_TOKEN or VAULT_TOKEN), or cluster.gossip_key")
	}
	if req.Retry {
		c.wg.Add(1)
		go c.retryUntilJoined(req, s, client)
		return &server.JoinResult{Outcome: server.JoinOutcomeRetrying, NodeID: c.node.ID()}, nil
	}
	return c.join(ctx, req.LeaderAPIAddr, req.Reset, s, client)
}

// retryUntilJoined repeats a join that failed for a reason that may pass
// (leader unreachable, no leader yet) until it succeeds or the node stops.
func (c *Cluster) retryUntilJoined(req server.JoinRequest, s signer, client *http.Client) {
	defer c.wg.Done()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.CatchUpTimeout+10*time.Second)
		res, err := c.join(ctx, req.LeaderAPIAddr, req.Reset, s, client)
		cancel()
		if err == nil {
			c.log.Info("join finished", "outcome", res.Outcome, "cluster", res.ClusterName)
			return
		}
		switch iamerr.KindOf(err) {
		case iamerr.Invalid, iamerr.Conflict, iamerr.Denied, iamerr.Unauthorized:
			c.log.Error("join failed, not retrying", "error", err)
			return
		}
		c.log.Warn("join failed, retrying", "error", err)
		if !c.sleep(c.opts.RetryJoinInterval) {
			return
		}
	}
}

func (c *Cluster) join(ctx context.Context, addr string, reset bool, s signer, client *http.Client) (*server.JoinResult, error) {
	c.joinMu.Lock()
	defer c.joinMu.Unlock()
	if c.node.Removed() && !reset {
		return nil, iamerr.New(iamerr.Conflict,
			"this node was removed from its cluster; rerun the join with -reset to discard its old state and join again")
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, iamerr.New(iamerr.Internal, "%v", err)
	}
	var info joinInfoReply
	req := joinInfoRequest{NodeID: c.node.ID(), RaftAddr: c.node.RaftAddr(), APIAddr: c.node.APIAddr(),
		PublicKey: priv.PublicKey().Bytes()}
	if err := c.call(ctx, client, addr, "join-info", s, req, &info); err != nil {
		return nil, joinError(addr, err)
	}
	root, err := openRoot(priv, info.EphemeralKey, info.SealedRoot, c.node.ID())
	if err != nil {
		return nil, iamerr.New(iamerr.Internal, "cannot open the keyring sent by %s: %v", addr, err)
	}
	res := &server.JoinResult{NodeID: c.node.ID(), ClusterID: info.ClusterID, ClusterName: info.ClusterName}
	leader := firstNonEmpty(info.LeaderAPIAddr, addr)
	if !reset && c.node.HasRaftState() {
		st := c.node.Status()
		k := c.node.Keyring()
		if (st.ClusterID != "" && st.ClusterID != info.ClusterID) || (k != nil && !bytes.Equal(k.Export(), root)) {
			return nil, iamerr.New(iamerr.Conflict,
				"node %s is already initialised as a member of cluster %s (%s), not of cluster %s (%s) that %s belongs to; nothing was changed (rerun with -reset to discard this node's state and join)",
				c.node.ID(), st.ClusterName, st.ClusterID, info.ClusterName, info.ClusterID, addr)
		}
		if info.Member {
			res.Outcome = server.JoinOutcomeAlreadyMember
			res.Voter = info.Voter || c.catchUpAndPromote(ctx, client, leader, 0)
			return res, nil
		}
	}
	if reset {
		if err := c.node.Reset(); err != nil {
			return nil, err
		}
	}
	installed, err := c.node.InstallKeyring(root)
	if err != nil {
		return nil, err
	}
	cs, _ := c.clusterSigner()
	var added addReply
	areq := addRequest{ID: c.node.ID(), RaftAddr: c.node.RaftAddr(), APIAddr: c.node.APIAddr(),
		GossipAddr: c.cfg.Cluster.GossipAddress}
	if err := c.call(ctx, client, leader, "add", cs, areq, &added); err != nil {
		// Only when the leader certainly did not add this node is the
		// keyring taken back; otherwise log entries may arrive, and a node
		// with raft data but no keyring could not restart.
		if installed && addRefused(err) && !c.node.HasRaftState() {
			c.node.DropKeyring()
		}
		return nil, joinError(leader, err)
	}
	res.Outcome = added.Outcome
	res.Voter = added.Voter || c.catchUpAndPromote(ctx, client, leader, added.Index)
	c.savePeerCache()
	return res, nil
}

// addRefused reports whether a failed add call certainly changed nothing:
// the request never left, the peer was not the leader, or it refused.
func addRefused(err error) bool {
	var te *transportError
	var nl *notLeaderError
	switch {
	case errors.As(err, &te):
		return te.dial
	case errors.As(err, &nl):
		return true
	}
	switch iamerr.KindOf(err) {
	case iamerr.Invalid, iamerr.Conflict, iamerr.Denied, iamerr.Unauthorized, iamerr.NotFound:
		return true
	}
	return false
}

// joinError words a failed join call for the operator.
func joinError(addr string, err error) error {
	var te *transportError
	var nl *notLeaderError
	switch {
	case errors.As(err, &te):
		return iamerr.New(iamerr.Unavailable, "leader %s is unreachable: %v; nothing was changed", addr, te.err)
	case errors.As(err, &nl):
		return iamerr.New(iamerr.Unavailable, "%s lost its leadership during the join; retry", addr)
	}
	e := iamerr.As(err)
	kind := e.Kind
	if kind == iamerr.Unauthorized {
		// The caller's token is fine here; it is the leader that refused
		// it, and the wire maps Unauthorized to a generic message.
		kind = iamerr.Denied
	}
	return &iamerr.Error{Kind: kind, Code: e.Code, Message: "join via " + addr + ": " + e.Message}
}

// catchUpAndPromote waits until this node has applied index, then asks the
// leader to make it a voter. It reports whether it is a voter now.
func (c *Cluster) catchUpAndPromote(ctx context.Context, client *http.Client, leader string, index uint64) bool {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CatchUpTimeout)
	defer cancel()
	if err := c.node.WaitForIndex(ctx, index); err != nil {
		c.log.Warn("still catching up; the leader will promote this node once it has", "index", index)
		return false
	}
	cs, ok := c.clusterSigner()
	if !ok {
		return false
	}
	for attempt := 0; attempt < 50; attempt++ {
		addr := firstNonEmpty(c.node.Status().LeaderAPIAddr, leader)
		req := promoteRequest{ID: c.node.ID(), Applied: c.node.Status().AppliedIndex}
		err := c.call(ctx, client, addr, "promote", cs, req, nil)
		if err == nil {
			return true
		}
		var nl *notLeaderError
		if errors.As(err, &nl) && nl.leader != "" {
			leader = nl.leader
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return false
}

// checkJoiner finds a joiner in the Raft configuration and refuses an ID
// or address that another server already uses.
func (c *Cluster) checkJoiner(id, raftAddr string) (member, voter bool, err error) {
	cfg, err := c.node.RaftConfiguration()
	if err != nil {
		return false, false, err
	}
	for _, s := range cfg.Servers {
		switch {
		case s.ID == id && s.Address != raftAddr:
			return false, false, iamerr.New(iamerr.Conflict,
				"node id %q is already used by the server at %s: remove it first (iamd operator raft remove-peer %s) or give this node another node_id",
				id, s.Address, id)
		case s.ID != id && s.Address == raftAddr:
			return false, false, iamerr.New(iamerr.Conflict, "raft address %s is already used by server %q", raftAddr, s.ID)
		case s.ID == id:
			return true, s.Voter, nil
		}
	}
	return false, false, nil
}

func (c *Cluster) handleJoinInfo(ctx context.Context, from caller, body []byte) (any, error) {
	st := c.node.Status()
	switch {
	case st.Removed:
		return nil, iamerr.New(iamerr.Unavailable, "this node was removed from its cluster; join through another member")
	case !st.Initialized:
		return nil, iamerr.New(iamerr.Unavailable, "this node is not initialised: run `iamd operator init` on the first node, or join through a member")
	}
	if from.kind == authToken {
		who, err := c.node.Authenticate(ctx, from.token)
		if err != nil {
			return nil, iamerr.New(iamerr.Unauthorized, "the token is not valid in this cluster")
		}
		if !who.IsRoot() {
			return nil, iamerr.New(iamerr.Denied, "joining a node needs a token with the root policy")
		}
	}
	var req joinInfoRequest
	if err := json.Unmarshal(body, &req); err != nil || req.NodeID == "" || req.RaftAddr == "" {
		return nil, iamerr.New(iamerr.Invalid, "join request needs node_id and raft_addr")
	}
	member, voter, err := c.checkJoiner(req.NodeID, req.RaftAddr)
	if err != nil {
		return nil, err
	}
	if err := c.checkRaftCert(ctx, req.NodeID, req.RaftAddr); err != nil {
		return nil, err
	}
	k := c.node.Keyring()
	epk, sealed, err := sealRoot(k.Export(), req.PublicKey, req.NodeID)
	if err != nil {
		return nil, iamerr.New(iamerr.Invalid, "bad public key: %v", err)
	}
	leader := st.LeaderAPIAddr
	if st.IsLeader {
		leader = c.node.APIAddr()
	}
	return joinInfoReply{ClusterID: st.ClusterID, ClusterName: st.ClusterName, LeaderAPIAddr: leader,
		Member: member, Voter: voter, EphemeralKey: epk, SealedRoot: sealed}, nil
}

func (c *Cluster) handleAdd(ctx context.Context, from caller, body []byte) (any, error) {
	var req addRequest
	if err := json.Unmarshal(body, &req); err != nil || req.ID == "" || req.RaftAddr == "" {
		return nil, iamerr.New(iamerr.Invalid, "add request needs id and raft_addr")
	}
	if req.ID != from.node {
		return nil, iamerr.New(iamerr.Denied, "a node may only add itself")
	}
	r := c.node.Raft()
	if r == nil || r.State() != raft.Leader {
		return nil, c.notLeader()
	}
	member, voter, err := c.checkJoiner(req.ID, req.RaftAddr)
	if err != nil {
		return nil, err
	}
	out := addReply{Outcome: server.JoinOutcomeAlreadyMember, Voter: voter}
	if !member {
		if err := c.checkRaftCert(ctx, req.ID, req.RaftAddr); err != nil {
			return nil, err
		}
		if err := r.AddNonvoter(raft.ServerID(req.ID), raft.ServerAddress(req.RaftAddr), 0, c.node.ApplyTimeout()).Error(); err != nil {
			return nil, iamerr.New(iamerr.Unavailable, "add %s to the raft configuration: %v", req.ID, err)
		}
		out.Outcome = server.JoinOutcomeJoined
		c.log.Info("added non-voter", "id", req.ID, "raft_addr", req.RaftAddr)
	}
	// The leader's own row first: the new member finds the leader's API
	// through it as soon as it has caught up.
	for _, p := range []fsm.Peer{c.selfPeer(),
		{ID: req.ID, APIAddr: req.APIAddr, RaftAddr: req.RaftAddr, GossipAddr: req.GossipAddr}} {
		if err := c.node.RegisterPeer(ctx, p); err != nil {
			c.log.Warn("could not record a member's addresses", "id", p.ID, "error", err)
		}
	}
	out.Index = c.node.Status().AppliedIndex
	return out, nil
}

func (c *Cluster) handlePromote(_ context.Context, from caller, body []byte) (any, error) {
	var req promoteRequest
	if err := json.Unmarshal(body, &req); err != nil || req.ID != from.node {
		return nil, iamerr.New(iamerr.Denied, "a node may only promote itself")
	}
	return struct{}{}, c.promote(req.ID, req.Applied)
}

// promote makes a non-voter a voter once it is within MaxTrailingLogs of
// the leader.
func (c *Cluster) promote(id string, applied uint64) error {
	r := c.node.Raft()
	if r == nil || r.State() != raft.Leader {
		return c.notLeader()
	}
	cfg, err := c.node.RaftConfiguration()
	if err != nil {
		return err
	}
	for _, s := range cfg.Servers {
		if s.ID != id {
			continue
		}
		if s.Voter {
			return nil
		}
		if lead := c.node.Status().AppliedIndex; applied+server.MaxTrailingLogs < lead {
			return iamerr.New(iamerr.Conflict, "%s has applied %d of %d entries: not caught up yet", id, applied, lead)
		}
		if err := r.AddVoter(raft.ServerID(id), raft.ServerAddress(s.Address), 0, c.node.ApplyTimeout()).Error(); err != nil {
			return iamerr.New(iamerr.Unavailable, "promote %s: %v", id, err)
		}
		c.log.Info("promoted to voter", "id", id)
		return nil
	}
	return iamerr.New(iamerr.NotFound, "%s is not in the raft configuration", id)
}

// sealRoot encrypts the keyring root to the joiner's X25519 key, so it
// never crosses the network in clear even without TLS.
func sealRoot(root, peerPub []byte, aad string) (epk, sealed []byte, err error) {
	pub, err := ecdh.X25519().NewPublicKey(peerPub)
	if err != nil {
		return nil, nil, err
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil, nil, err
	}
	aead, err := joinAEAD(shared)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return eph.PublicKey().Bytes(), aead.Seal(nonce, nonce, root, []byte(aad)), nil
}

func openRoot(priv *ecdh.PrivateKey, epk, sealed []byte, aad string) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(epk)
	if err != nil {
		return nil, err
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return nil, err
	}
	aead, err := joinAEAD(shared)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed key too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(aad))
}

func joinAEAD(shared []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(deriveKey(shared, "iamd join keyring v1"))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
