package cluster

import (
	"context"
	"net"
	"sort"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
)

// leaderDuties keeps the leader's own API address in the replicated peer
// table (followers find the leader through it) and promotes non-voters
// whose join stopped before its promote step, once they have caught up.
func (c *Cluster) leaderDuties() {
	r := c.node.Raft()
	if r == nil || r.State() != raft.Leader || !c.node.Initialized() || c.node.Removed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.node.ApplyTimeout())
	defer cancel()
	if err := c.node.RegisterPeer(ctx, c.selfPeer()); err != nil {
		c.log.Debug("record own address", "error", err)
	}
	cfg, err := c.node.RaftConfiguration()
	if err != nil {
		return
	}
	s, ok := c.clusterSigner()
	if !ok {
		return
	}
	for _, srv := range cfg.Servers {
		if srv.Voter {
			continue
		}
		addr := c.node.PeerAPIAddr(srv.ID)
		if addr == "" {
			continue
		}
		var st stateReply
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.call(cctx, c.client, addr, "state", s, struct{}{}, &st)
		ccancel()
		if err != nil || st.NodeID != srv.ID {
			continue
		}
		if err := c.promote(srv.ID, st.Applied); err != nil {
			c.log.Debug("not promoting yet", "id", srv.ID, "error", err)
		}
	}
}

func (c *Cluster) selfPeer() fsm.Peer {
	return fsm.Peer{ID: c.node.ID(), APIAddr: c.node.APIAddr(), RaftAddr: c.node.RaftAddr(), GossipAddr: c.cfg.Cluster.GossipAddress}
}

// rejoinGossip finds the gossip pool again through the gossip addresses in
// the replicated peer table when this node is alone in it: after a join
// made by the operator (no retry_join), or after a restart.
func (c *Cluster) rejoinGossip() {
	if c.gossip == nil || c.gossip.NumMembers() > 1 {
		return
	}
	// Retried every interval while alone; memberlist's own probing takes
	// over once any peer answered.
	own := resolve(c.cfg.Cluster.GossipAddress)
	var addrs []string
	for _, p := range c.knownPeers().Peers {
		if p.Gossip != "" && p.ID != c.node.ID() && resolve(p.Gossip) != own {
			addrs = append(addrs, p.Gossip)
		}
	}
	if len(addrs) == 0 {
		return
	}
	if _, err := c.gossip.Join(addrs); err != nil {
		c.log.Debug("gossip: no peer from the peer table answered", "error", err)
	}
}

// checkRemoved lets a node that lost its leader find out whether it was
// removed while it could not be told (down, partitioned): it asks its
// peers, and if the leader's configuration no longer lists it, it stops
// Raft rather than keep campaigning with a stale configuration.
func (c *Cluster) checkRemoved() {
	if c.node.Removed() || c.node.Keyring() == nil {
		return
	}
	r := c.node.Raft()
	if r == nil {
		return
	}
	now := time.Now()
	if _, id := r.LeaderWithID(); id != "" || r.State() == raft.Leader {
		c.noLeaderSince = time.Time{}
		return
	}
	if c.noLeaderSince.IsZero() {
		c.noLeaderSince = now
		return
	}
	if now.Sub(c.noLeaderSince) < c.opts.RemovalCheckAfter || now.Sub(c.lastRemCheck) < c.opts.RemovalCheckAfter {
		return
	}
	c.lastRemCheck = now
	// A node without Raft entries never fully joined (its add failed or
	// is still on its way): there is nothing it could have been removed
	// from. Its own configuration cannot tell: a node that received the
	// entry removing it (the leader's last send to it, which a node
	// removed while down gets if it is back by then) no longer lists
	// itself. Only a leader that listed it sends it entries, so holding
	// any is the mark of a former member.
	if !c.node.HasRaftState() {
		return
	}
	s, ok := c.clusterSigner()
	if !ok {
		return
	}
	known := c.knownPeers()
	clusterID := firstNonEmpty(c.node.Status().ClusterID, known.ClusterID)
	for _, addr := range c.peerAddrs(known) {
		var st stateReply
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.call(ctx, c.client, addr, "state", s, struct{}{}, &st)
		cancel()
		// The answer is signed with this node's keyring, which only its
		// own cluster holds; the cluster ID is checked when known.
		if err != nil || !st.IsLeader || (clusterID != "" && st.ClusterID != clusterID) {
			continue
		}
		for _, id := range st.Servers {
			if id == c.node.ID() {
				return
			}
		}
		c.node.MarkRemoved("the leader " + st.NodeID + " no longer lists this node")
		return
	}
}

// peerAddrs lists the API addresses of the other nodes this node knows of,
// from the peer table (or its saved copy) and from gossip.
func (c *Cluster) peerAddrs(known peerCache) []string {
	seen := map[string]bool{c.node.APIAddr(): true}
	var out []string
	add := func(a string) {
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, p := range known.Peers {
		add(p.API)
	}
	for _, m := range c.members.all() {
		add(m.meta.API)
	}
	return out
}

// retryJoinLoop joins the gossip pool through the retry_join addresses and,
// while this node is uninitialised, joins the cluster as soon as gossip
// shows an initialised member. It never bootstraps a cluster by itself.
func (c *Cluster) retryJoinLoop() {
	defer c.wg.Done()
	targets := c.retryTargets()
	for {
		if c.gossip != nil && c.gossip.NumMembers() <= 1 && len(targets) > 0 {
			// memberlist tries every address and reports how many answered.
			if n, err := c.gossip.Join(targets); err != nil && n == 0 {
				c.log.Debug("retry_join: no gossip peer answered yet", "error", err)
			}
		}
		// A keyring without raft state is a join that stopped half-way;
		// joining again is safe (join-info says whether it got added).
		if c.joinKey != nil && !c.node.HasRaftState() && !c.node.Removed() {
			c.autoJoin()
		}
		if !c.sleep(c.opts.RetryJoinInterval) {
			return
		}
	}
}

// retryTargets drops this node's own gossip address from retry_join, so a
// shared configuration listing every node works on each of them.
func (c *Cluster) retryTargets() []string {
	own := resolve(c.cfg.Cluster.GossipAddress)
	var out []string
	for _, t := range c.cfg.Cluster.RetryJoin {
		if resolve(t) != own {
			out = append(out, t)
		}
	}
	return out
}

func resolve(hostport string) string {
	if a, err := net.ResolveTCPAddr("tcp", hostport); err == nil {
		return a.String()
	}
	return hostport
}

// autoJoin tries every initialised member that gossip shows, leader first.
func (c *Cluster) autoJoin() {
	var candidates []memberEntry
	for _, e := range c.members.all() {
		if e.meta.ID != c.node.ID() && e.meta.API != c.node.APIAddr() && e.status == "alive" && e.meta.Health == "ok" {
			candidates = append(candidates, e)
		}
	}
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].meta.Leader && !candidates[j].meta.Leader })
	s := signer{kind: authJoin, key: c.joinKey}
	for _, e := range candidates {
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.CatchUpTimeout+10*time.Second)
		res, err := c.join(ctx, e.meta.API, false, s, c.client)
		cancel()
		if err == nil {
			c.log.Info("joined the cluster through retry_join", "via", e.meta.ID, "outcome", res.Outcome, "voter", res.Voter)
			return
		}
		c.log.Warn("retry_join: join failed", "via", e.meta.ID, "error", err)
	}
}
