package vault

import (
	"iamd/iamerr"
	"iamd/server"
)

// internalRoutes are iamd's own diagnostics under sys/internal/ (the
// node-to-node calls under sys/internal/cluster/ are the cluster package's).
// Fault tests compare nodes through them.
func (a *API) internalRoutes() []Route {
	return []Route{
		{Pattern: "sys/internal/fsm-digest", Ops: map[server.VaultOperation]Handler{server.OpRead: a.fsmDigest}},
	}
}

// fsmDigest answers this node's state digest (fsm.Digest) with the Raft
// index applied before and after computing it: two nodes whose answers have
// the same index on both sides hold equal states exactly when the digests
// are equal. Root only: the digest reveals whether any state changed.
func (a *API) fsmDigest(r *Request) (*Response, error) {
	if r.Caller == nil || !r.Caller.IsRoot() {
		return nil, iamerr.New(iamerr.Denied, "permission denied")
	}
	before := a.node.Status().AppliedIndex
	digest := a.node.FSM().Digest()
	after := a.node.Status().AppliedIndex
	return &Response{Data: map[string]any{
		"node_id": a.node.ID(), "digest": digest, "applied_index_before": before, "applied_index": after,
	}}, nil
}
