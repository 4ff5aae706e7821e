package vault

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"iamd/iamerr"
	"iamd/server"
)

// Cluster paths (spec/vault.md §7, §8.3): the Raft API under
// sys/storage/raft and sys/ha-status. The membership logic lives in
// server and the cluster package; this file only translates.

// clusterRoutes returns the enveloped cluster routes and registers the
// bare ones (join answers bare JSON, snapshots stream binary).
func (a *API) clusterRoutes() []Route {
	for _, m := range []string{http.MethodPost, http.MethodPut} {
		a.echo.Add(m, "/v1/sys/storage/raft/join", a.raftJoin)
		a.echo.Add(m, "/v1/sys/storage/raft/snapshot", a.raftRestore(false))
		a.echo.Add(m, "/v1/sys/storage/raft/snapshot-force", a.raftRestore(true))
	}
	a.echo.GET("/v1/sys/storage/raft/snapshot", a.raftSnapshot)
	return []Route{
		{Pattern: "sys/storage/raft/configuration", Ops: map[server.VaultOperation]Handler{server.OpRead: a.raftConfiguration}},
		{Pattern: "sys/storage/raft/remove-peer", Ops: map[server.VaultOperation]Handler{server.OpUpdate: a.raftRemovePeer}},
		{Pattern: "sys/storage/raft/autopilot/state", Ops: map[server.VaultOperation]Handler{server.OpRead: a.autopilotState}},
		{Pattern: "sys/storage/raft/autopilot/configuration", Ops: map[server.VaultOperation]Handler{server.OpRead: a.autopilotConfig}},
		{Pattern: "sys/ha-status", InjectTopLevel: true, Ops: map[server.VaultOperation]Handler{server.OpRead: a.haStatus}},
	}
}

type joinBody struct {
	LeaderAPIAddr string `json:"leader_api_addr"`
	Retry         bool   `json:"retry"`
	LeaderCACert  string `json:"leader_ca_cert"`
	NonVoter      bool   `json:"non_voter"`
	AutoJoin      string `json:"auto_join"`
	// Reset is iamd's: discard this node's old state first (a removed
	// node, or a one-node cluster of its own).
	Reset bool `json:"reset"`
}

// raftJoin runs on the joining node, which may not be initialised, so it
// checks no local token: the token travels to the leader, which requires
// the root policy (or the node joins through cluster.gossip_key).
func (a *API) raftJoin(c echo.Context) error {
	body, err := readBody(c.Request(), a.maxRequestSize)
	if err != nil {
		return renderError(c, err)
	}
	var in joinBody
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return renderError(c, errParseJSON)
		}
	}
	switch {
	case in.NonVoter:
		return respondErrors(c, http.StatusBadRequest, "non-voting nodes not allowed")
	case in.AutoJoin != "":
		return respondErrors(c, http.StatusBadRequest, "auto_join is not supported: list gossip addresses in cluster.retry_join instead")
	}
	res, err := a.node.Join(c.Request().Context(), server.JoinRequest{
		LeaderAPIAddr: in.LeaderAPIAddr, Token: tokenFrom(c.Request()), LeaderCACert: in.LeaderCACert,
		Retry: in.Retry, Reset: in.Reset,
	})
	if err != nil {
		return renderError(c, err)
	}
	return writeJSON(c, http.StatusOK, map[string]any{
		"joined": res.Outcome != server.JoinOutcomeRetrying, "outcome": res.Outcome, "voter": res.Voter,
		"node_id": res.NodeID, "cluster_id": res.ClusterID, "cluster_name": res.ClusterName,
	})
}

func (a *API) raftConfiguration(r *Request) (*Response, error) {
	cfg, err := a.node.RaftConfiguration()
	if err != nil {
		return nil, err
	}
	servers := make([]map[string]any, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		// vault operator raft list-peers type-asserts every field.
		servers = append(servers, map[string]any{
			"node_id": s.ID, "address": s.Address, "leader": s.Leader, "voter": s.Voter, "protocol_version": "3",
		})
	}
	return &Response{Data: map[string]any{"config": map[string]any{"index": cfg.Index, "servers": servers}}}, nil
}

func (a *API) raftRemovePeer(r *Request) (*Response, error) {
	id, err := r.String("server_id", "")
	if err != nil {
		return nil, err
	}
	return nil, a.node.RemovePeer(r.Context, id)
}

func (a *API) haStatus(r *Request) (*Response, error) {
	nodes, err := a.node.HAStatus()
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(nodes))
	for _, n := range nodes {
		var echo any
		if n.LastEcho != nil {
			echo = n.LastEcho.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, map[string]any{
			"hostname": n.ID, "api_address": n.APIAddr, "cluster_address": clusterURL(n.ClusterAddr),
			"active_node": n.Active, "last_echo": echo, "echo_duration_ms": 0, "clock_skew_ms": 0,
			"version": Version, "upgrade_version": Version, "redundancy_zone": "",
			"replication_primary_canary_age_ms": 0,
		})
	}
	return &Response{Data: map[string]any{"nodes": out}}, nil
}

func (a *API) autopilotState(r *Request) (*Response, error) {
	st, err := a.node.AutopilotState()
	if err != nil {
		return nil, err
	}
	servers := map[string]any{}
	for _, s := range st.Servers {
		contact := "unknown"
		if s.LastContact >= 0 {
			contact = s.LastContact.Round(time.Millisecond).String()
		}
		stable := ""
		if !s.StableSince.IsZero() {
			stable = s.StableSince.UTC().Format(time.RFC3339)
		}
		servers[s.ID] = map[string]any{
			"id": s.ID, "name": s.ID, "address": s.Address, "node_status": s.NodeStatus, "last_contact": contact,
			"last_term": s.LastTerm, "last_index": s.LastIndex, "healthy": s.Healthy, "stable_since": stable,
			"status": s.Status, "version": Version, "node_type": "voter",
		}
	}
	nonVoters := st.NonVoters
	if nonVoters == nil {
		nonVoters = []string{}
	}
	return &Response{Data: map[string]any{
		"healthy": st.Healthy, "failure_tolerance": st.FailureTolerance,
		"optimistic_failure_tolerance": st.FailureTolerance, "leader": st.Leader,
		"voters": st.Voters, "non_voters": nonVoters, "servers": servers,
	}}, nil
}

// autopilotConfig reports the fixed thresholds iamd's autopilot uses.
func (a *API) autopilotConfig(r *Request) (*Response, error) {
	return &Response{Data: map[string]any{
		"cleanup_dead_servers": false, "last_contact_threshold": server.LastContactThreshold.String(),
		"dead_server_last_contact_threshold": "24h0m0s", "max_trailing_logs": server.MaxTrailingLogs,
		"min_quorum": 0, "server_stabilization_time": "10s", "disable_upgrade_migration": false,
	}}, nil
}

// authorizeBare checks the token of a handler outside the envelope.
func (a *API) authorizeBare(c echo.Context, path string, op server.VaultOperation) error {
	if err := a.node.AwaitInitialized(c.Request().Context()); err != nil {
		if errors.Is(err, server.ErrNotInitialized) {
			return iamerr.New(iamerr.Unavailable, "Vault is not initialized")
		}
		return err
	}
	caller, err := a.node.Authenticate(c.Request().Context(), tokenFrom(c.Request()))
	if err != nil {
		return err
	}
	if !a.node.AllowVault(caller, path, op) {
		return errPermissionDenied
	}
	return nil
}

// ForwardedHeader marks a request a follower relayed to the leader, so that
// it is never relayed twice.
const ForwardedHeader = "X-Iamd-Forwarded"

// sendToLeader makes a follower hand a raft snapshot request to the
// leader: relayed whole by default, so the client sees one hop (vault/api
// v1.16 reads the body of the first answer even after following a
// redirect, which breaks snapshot save through a standby), or 307 to the
// leader's api_addr with X-Vault-No-Request-Forwarding, as Vault does.
func (a *API) sendToLeader(c echo.Context) (bool, error) {
	st := a.node.Status()
	if st.IsLeader {
		return false, nil
	}
	req := c.Request()
	if st.LeaderAPIAddr == "" || req.Header.Get(ForwardedHeader) != "" {
		return true, respondErrors(c, http.StatusServiceUnavailable, "no active iamd node found")
	}
	if req.Header.Get("X-Vault-No-Request-Forwarding") != "" {
		c.Response().Header().Set("Location", strings.TrimRight(st.LeaderAPIAddr, "/")+req.URL.RequestURI())
		return true, c.NoContent(http.StatusTemporaryRedirect)
	}
	req.Header.Set(ForwardedHeader, a.node.ID())
	if err := a.node.ProxyToLeader(c.Response(), req); err != nil {
		return true, renderError(c, err)
	}
	return true, nil
}

func (a *API) raftSnapshot(c echo.Context) error {
	if err := a.authorizeBare(c, "sys/storage/raft/snapshot", server.OpRead); err != nil {
		return renderError(c, err)
	}
	if done, err := a.sendToLeader(c); done {
		return err
	}
	// Built completely before the status line, so a failure is a clean
	// error rather than a truncated archive.
	f, err := os.CreateTemp("", "iamd-snapshot-out-*")
	if err != nil {
		return renderError(c, iamerr.New(iamerr.Internal, "%v", err))
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := a.node.SaveSnapshot(f); err != nil {
		return renderError(c, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return renderError(c, iamerr.New(iamerr.Internal, "%v", err))
	}
	h := c.Response().Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Disposition", `attachment; filename="raft.snap"`)
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(c.Response(), f)
	return err
}

func (a *API) raftRestore(force bool) echo.HandlerFunc {
	path := "sys/storage/raft/snapshot"
	if force {
		path = "sys/storage/raft/snapshot-force"
	}
	return func(c echo.Context) error {
		if err := a.authorizeBare(c, path, server.OpUpdate); err != nil {
			return renderError(c, err)
		}
		if done, err := a.sendToLeader(c); done {
			return err
		}
		if err := a.node.RestoreSnapshot(c.Request().Context(), c.Request().Body, force); err != nil {
			return renderError(c, err)
		}
		return c.NoContent(http.StatusNoContent)
	}
}
