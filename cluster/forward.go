package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// applyReply is the leader's answer to a forwarded log entry.
type applyReply struct {
	Index uint64          `json:"index"`
	Value json.RawMessage `json:"value"`
	Error *iamerr.Error   `json:"error,omitempty"`
}

func toReply(res *fsm.Result) (applyReply, error) {
	out := applyReply{Index: res.Index}
	if res.Err != nil {
		out.Error = iamerr.As(res.Err)
		return out, nil
	}
	raw, err := json.Marshal(res.Value)
	if err != nil {
		return out, iamerr.New(iamerr.Internal, "encode result: %v", err)
	}
	out.Value = raw
	return out, nil
}

// ForwardApply implements server.Forwarder: it sends an encoded entry to
// the leader and returns the index it was applied at and its result.
func (c *Cluster) ForwardApply(ctx context.Context, entry []byte) (uint64, json.RawMessage, error) {
	var reply applyReply
	err := c.leaderCall(ctx, "apply", entry, &reply, func() error {
		res, err := c.node.ApplyEntry(ctx, entry)
		if err != nil {
			return err
		}
		reply, err = toReply(res)
		return err
	})
	if err != nil {
		return reply.Index, nil, err
	}
	if reply.Error != nil {
		return reply.Index, nil, reply.Error
	}
	return reply.Index, reply.Value, nil
}

// leaderCall runs op on the leader: locally through local when this node
// is the leader, else as a signed call. It waits up to LeaderWait for a
// leader to be known and reachable, and sends the call again only when the
// previous attempt certainly did nothing (the peer said it is not the
// leader, or the connection was never made).
func (c *Cluster) leaderCall(ctx context.Context, op string, in, out any, local func() error) error {
	if c.node.Removed() {
		return server.ErrRemoved()
	}
	s, ok := c.clusterSigner()
	if !ok {
		return iamerr.New(iamerr.Unavailable, "iamd is not initialized")
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.node.ApplyTimeout()+c.opts.LeaderWait)
		defer cancel()
	}
	giveUp := time.Now().Add(c.opts.LeaderWait)
	hint, unreachable := "", ""
	for {
		st := c.node.Status()
		if st.Removed {
			return server.ErrRemoved()
		}
		if st.IsLeader {
			if err := local(); !errors.Is(err, raft.ErrNotLeader) {
				return err
			}
		} else if addr := firstNonEmpty(st.LeaderAPIAddr, hint); addr != "" && addr != c.node.APIAddr() {
			err := c.call(ctx, c.client, addr, op, s, in, out)
			var nl *notLeaderError
			var te *transportError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &nl):
				hint = nl.leader
			case errors.As(err, &te) && te.dial:
				unreachable = addr
			case errors.As(err, &te):
				return iamerr.New(iamerr.Unavailable,
					"lost contact with the leader at %s during the request; it may or may not have been applied: %v", addr, te.err)
			default:
				return err
			}
		}
		if time.Now().After(giveUp) || ctx.Err() != nil {
			if unreachable != "" {
				return iamerr.New(iamerr.Unavailable, "no active iamd node found: the leader at %s is unreachable", unreachable)
			}
			return iamerr.New(iamerr.Unavailable, "no active iamd node found: the cluster has no leader (is a majority of its servers up?)")
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// isMember reports whether id is in this node's Raft configuration.
func (c *Cluster) isMember(id string) bool {
	r := c.node.Raft()
	if r == nil {
		return false
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == id {
			return true
		}
	}
	return false
}

func (c *Cluster) notLeader() error {
	return &notLeaderError{leader: c.node.Status().LeaderAPIAddr}
}

func (c *Cluster) handleApply(ctx context.Context, from caller, body []byte) (any, error) {
	// Holding the keyring is not enough: a removed node still has it.
	if !c.isMember(from.node) {
		return nil, iamerr.New(iamerr.Denied, "node %q is not in the raft configuration", from.node)
	}
	res, err := c.node.ApplyEntry(ctx, body)
	if errors.Is(err, raft.ErrNotLeader) {
		return nil, c.notLeader()
	}
	if err != nil {
		return nil, err
	}
	return toReply(res)
}

type peerRequest struct {
	ID        string `json:"id"`
	ClusterID string `json:"cluster_id,omitempty"`
}

// ForwardRemovePeer implements server.Membership.
func (c *Cluster) ForwardRemovePeer(ctx context.Context, id string) error {
	return c.leaderCall(ctx, "remove-peer", peerRequest{ID: id}, nil, func() error {
		return c.node.RemovePeer(ctx, id)
	})
}

func (c *Cluster) handleRemovePeer(ctx context.Context, from caller, body []byte) (any, error) {
	var req peerRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, iamerr.New(iamerr.Invalid, "%v", err)
	}
	if !c.isMember(from.node) {
		return nil, iamerr.New(iamerr.Denied, "node %q is not in the raft configuration", from.node)
	}
	if !c.node.Status().IsLeader {
		return nil, c.notLeader()
	}
	return struct{}{}, c.node.RemovePeer(ctx, req.ID)
}

// NotifyRemoved implements server.Membership: best effort, since a node
// that misses it finds out by itself (checkRemoved).
func (c *Cluster) NotifyRemoved(ctx context.Context, id, apiAddr string) {
	s, ok := c.clusterSigner()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req := peerRequest{ID: id, ClusterID: c.node.Status().ClusterID}
	if err := c.call(ctx, c.client, apiAddr, "removed", s, req, nil); err != nil {
		c.log.Info("could not tell the removed node", "id", id, "error", err)
	}
}

func (c *Cluster) handleRemoved(_ context.Context, from caller, body []byte) (any, error) {
	var req peerRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, iamerr.New(iamerr.Invalid, "%v", err)
	}
	if req.ID != c.node.ID() || req.ClusterID != c.node.Status().ClusterID {
		return nil, iamerr.New(iamerr.Invalid, "this is node %q of another cluster", c.node.ID())
	}
	c.node.MarkRemoved("removed by " + from.node)
	return struct{}{}, nil
}

// stateReply is what a node says about itself to a peer.
type stateReply struct {
	NodeID    string   `json:"node_id"`
	IsLeader  bool     `json:"is_leader"`
	ClusterID string   `json:"cluster_id"`
	Applied   uint64   `json:"applied_index"`
	Servers   []string `json:"servers"`
}

func (c *Cluster) handleState(context.Context, caller, []byte) (any, error) {
	st := c.node.Status()
	out := stateReply{NodeID: c.node.ID(), IsLeader: st.IsLeader, ClusterID: st.ClusterID, Applied: st.AppliedIndex}
	if cfg, err := c.node.RaftConfiguration(); err == nil {
		for _, s := range cfg.Servers {
			out.Servers = append(out.Servers, s.ID)
		}
	}
	return out, nil
}

// ProxyToLeader implements server.Membership with a reverse proxy to the
// leader's API, verifying the leader against the cluster CA. It presents
// no client certificate: the request is the client's, and the leader would
// take the node's certificate for the client's (API access rules), or
// refuse it under tls_client_ca_file.
func (c *Cluster) ProxyToLeader(w http.ResponseWriter, r *http.Request) {
	leader := c.node.Status().LeaderAPIAddr
	target, err := url.Parse(leader)
	if leader == "" || err != nil {
		vaultError(w, http.StatusServiceUnavailable, "no active iamd node found")
		return
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		Transport: c.proxy,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			vaultError(w, http.StatusServiceUnavailable, fmt.Sprintf("no active iamd node found: the leader at %s is unreachable: %v", leader, err))
		},
	}
	rp.ServeHTTP(w, r)
}

// vaultError answers in Vault's error shape (this package does not import
// the dialects).
func vaultError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string][]string{"errors": {msg}})
}
