package vault

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"iamd/fsm"
	"iamd/server"
)

// Version is reported by sys/health and sys/seal-status.
const Version = "1.16.0+iamd"

// registerBare adds the handlers that answer outside the envelope.
func (a *API) registerBare(e *echo.Echo) {
	e.GET("/v1/sys/health", a.health)
	e.HEAD("/v1/sys/health", a.health)
	e.GET("/v1/sys/leader", a.leader)
	e.GET("/v1/sys/seal-status", a.sealStatus)
	e.GET("/v1/sys/init", func(c echo.Context) error {
		return writeJSON(c, http.StatusOK, map[string]bool{"initialized": a.node.Initialized()})
	})
	e.PUT("/v1/sys/init", a.initialize)
	e.POST("/v1/sys/init", a.initialize)
}

// healthCodeParams are sys/health's status overrides. Vault parses every
// one of them whatever the node's state, so a bad value is always a 400.
var healthCodeParams = []string{"activecode", "standbycode", "drsecondarycode", "haunhealthycode",
	"performancestandbycode", "sealedcode", "uninitcode", "removedcode"}

// healthCodes reads the override statuses from the query; ok is false when
// one is not a status code.
func healthCodes(c echo.Context) (codes map[string]int, ok bool) {
	codes = map[string]int{}
	for _, name := range healthCodeParams {
		v := c.QueryParam(name)
		if v == "" {
			continue
		}
		code, err := strconv.Atoi(v)
		if err != nil || code < 100 || code > 999 {
			return nil, false
		}
		codes[name] = code
	}
	return codes, true
}

func (a *API) health(c echo.Context) error {
	codes, ok := healthCodes(c)
	if !ok {
		return respondErrors(c, http.StatusBadRequest)
	}
	code := func(name string, def int) int {
		if v, set := codes[name]; set {
			return v
		}
		return def
	}
	st := a.node.Status()
	standby := st.Initialized && !st.IsLeader
	var status int
	switch {
	case st.Removed:
		// Vault 1.19+: a node removed from the raft cluster says so.
		status = code("removedcode", 530)
		standby = false
	case !st.Initialized:
		status = code("uninitcode", http.StatusNotImplemented)
	case standby:
		if _, standbyOK := c.QueryParams()["standbyok"]; standbyOK && c.QueryParam("standbyok") != "false" {
			status = code("activecode", http.StatusOK)
		} else {
			status = code("standbycode", http.StatusTooManyRequests)
		}
	default:
		status = code("activecode", http.StatusOK)
	}
	body := map[string]any{
		"initialized": st.Initialized, "sealed": false, "standby": standby,
		"performance_standby": false, "replication_performance_mode": "disabled",
		"replication_dr_mode": "disabled", "server_time_utc": a.node.Now().Unix(), "version": Version,
		"enterprise": false, "echo_duration_ms": 0, "clock_skew_ms": 0,
		"replication_primary_canary_age_ms": 0,
	}
	if st.Initialized {
		body["cluster_name"], body["cluster_id"] = st.ClusterName, st.ClusterID
	}
	if st.Removed {
		body["removed_from_cluster"] = true
	}
	if standby {
		body["ha_connection_healthy"] = st.HasLeader
	}
	return writeJSON(c, status, body)
}

func (a *API) leader(c echo.Context) error {
	st := a.node.Status()
	return writeJSON(c, http.StatusOK, map[string]any{
		"ha_enabled": true, "is_self": st.IsLeader,
		"active_time":    st.ActiveTime.UTC().Format(time.RFC3339Nano),
		"leader_address": st.LeaderAPIAddr, "leader_cluster_address": clusterURL(st.LeaderClusterAddr),
		"performance_standby": false, "performance_standby_last_remote_wal": 0, "last_wal": 0,
		"raft_committed_index": st.CommittedIndex, "raft_applied_index": st.AppliedIndex,
	})
}

func clusterURL(addr string) string {
	if addr == "" || strings.Contains(addr, "://") {
		return addr
	}
	return "https://" + addr
}

func (a *API) sealStatus(c echo.Context) error {
	st := a.node.Status()
	body := map[string]any{
		"type": "shamir", "initialized": st.Initialized, "sealed": false, "t": 0, "n": 0,
		"progress": 0, "nonce": "", "version": Version, "build_date": "", "migration": false,
		"recovery_seal": false, "storage_type": "raft",
	}
	if st.Initialized {
		body["cluster_name"], body["cluster_id"] = st.ClusterName, st.ClusterID
	}
	return writeJSON(c, http.StatusOK, body)
}

// initialize is sys/init: it bootstraps the cluster on this node and
// answers the root credentials, shown only here.
func (a *API) initialize(c echo.Context) error {
	res, err := a.node.Initialize(c.Request().Context(), server.InitRequest{})
	if err != nil {
		return renderError(c, err)
	}
	return writeJSON(c, http.StatusOK, map[string]any{
		"keys": []string{}, "keys_base64": []string{}, "root_token": res.RootToken,
		"account_id": res.AccountID, "root_access_key_id": res.RootAccessKeyID,
		"root_secret_access_key": res.RootSecretAccessKey,
	})
}

func (a *API) sysRoutes() []Route {
	return []Route{
		{Pattern: "sys/auth", InjectTopLevel: true, Ops: map[server.VaultOperation]Handler{server.OpRead: a.listAuth}},
		{Pattern: "sys/auth/*", InjectTopLevel: true, Ops: map[server.VaultOperation]Handler{
			server.OpRead: a.readAuth, server.OpUpdate: a.enableAuth, server.OpDelete: a.disableAuth,
		}},
	}
}

func mountData(m *fsm.AuthMount) map[string]any {
	tokenType := m.Config.TokenType
	if tokenType == "" {
		tokenType = "default-service"
	}
	var options any
	if len(m.Options) > 0 {
		options = m.Options
	}
	return map[string]any{
		"accessor": m.Accessor, "type": m.Type, "description": m.Description,
		"config": map[string]any{
			"default_lease_ttl": int64(m.Config.DefaultLeaseTTL.Seconds()),
			"max_lease_ttl":     int64(m.Config.MaxLeaseTTL.Seconds()),
			"force_no_cache":    false, "token_type": tokenType,
		},
		"local": m.Local, "seal_wrap": m.SealWrap, "external_entropy_access": false,
		"options": options, "uuid": m.UUID, "plugin_version": "",
		"running_plugin_version": "v" + Version + "+builtin", "running_sha256": "",
		"deprecation_status": "supported",
	}
}

func (a *API) listAuth(r *Request) (*Response, error) {
	data := map[string]any{}
	for _, m := range a.node.State().AuthMounts() {
		data[m.Path] = mountData(m)
	}
	return &Response{Data: data}, nil
}

// mountPathParam returns the mount path after sys/auth/, without "/tune".
func mountPathParam(r *Request) (string, bool) {
	p := strings.Trim(r.Param("*"), "/")
	if strings.HasSuffix(p, "/tune") {
		return strings.TrimSuffix(p, "/tune"), true
	}
	return p, false
}

func (a *API) readAuth(r *Request) (*Response, error) {
	path, tune := mountPathParam(r)
	m := a.node.State().AuthMount(path + "/")
	if m == nil {
		return nil, notFoundf("No auth engine at %s", path)
	}
	if tune {
		d := mountData(m)["config"].(map[string]any)
		d["description"] = m.Description
		d["user_lockout_config"] = lockoutData(m.Config)
		return &Response{Data: d}, nil
	}
	return &Response{Data: mountData(m)}, nil
}

func lockoutData(c fsm.MountConfig) map[string]any {
	return map[string]any{
		"lockout_threshold":     c.LockoutThreshold,
		"lockout_duration":      int64(c.LockoutDuration.Seconds()),
		"lockout_counter_reset": int64(c.LockoutCounterReset.Seconds()),
		"lockout_disable":       c.DisableLockout,
	}
}

func (a *API) enableAuth(r *Request) (*Response, error) {
	path, tune := mountPathParam(r)
	if tune {
		return a.tuneAuth(r, path)
	}
	typ, err := r.String("type", "")
	if err != nil {
		return nil, err
	}
	desc, err := r.String("description", "")
	if err != nil {
		return nil, err
	}
	local, err := r.Bool("local", false)
	if err != nil {
		return nil, err
	}
	cfg, err := mountConfigFrom(r, "config", fsm.MountConfig{})
	if err != nil {
		return nil, err
	}
	return nil, a.node.EnableAuth(r.Context, server.EnableAuthRequest{Path: path, Type: typ, Description: desc, Local: local, Config: cfg})
}

func (a *API) tuneAuth(r *Request, path string) (*Response, error) {
	m := a.node.State().AuthMount(path + "/")
	if m == nil {
		return nil, invalidf("cannot fetch mount entry on %q", path+"/")
	}
	cfg, err := mountConfigFrom(r, "", m.Config)
	if err != nil {
		return nil, err
	}
	var desc *string
	if r.Has("description") {
		s, err := r.String("description", "")
		if err != nil {
			return nil, err
		}
		desc = &s
	}
	return nil, a.node.TuneAuth(r.Context, path, cfg, desc)
}

// mountConfigFrom reads tunable settings from the request, either at the
// top level (tune) or inside a nested object (enable's "config").
func mountConfigFrom(r *Request, nested string, base fsm.MountConfig) (fsm.MountConfig, error) {
	src := r
	if nested != "" {
		m, ok := r.Data[nested].(map[string]any)
		if !ok {
			return base, nil
		}
		src = &Request{Data: m}
	}
	cfg := base
	var err error
	if cfg.DefaultLeaseTTL, err = src.Duration("default_lease_ttl", cfg.DefaultLeaseTTL); err != nil {
		return cfg, err
	}
	if cfg.MaxLeaseTTL, err = src.Duration("max_lease_ttl", cfg.MaxLeaseTTL); err != nil {
		return cfg, err
	}
	if cfg.TokenType, err = src.String("token_type", cfg.TokenType); err != nil {
		return cfg, err
	}
	if lc, ok := src.Data["user_lockout_config"].(map[string]any); ok {
		l := &Request{Data: lc}
		if cfg.LockoutThreshold, err = l.Int("lockout_threshold", cfg.LockoutThreshold); err != nil {
			return cfg, err
		}
		if cfg.LockoutDuration, err = l.Duration("lockout_duration", cfg.LockoutDuration); err != nil {
			return cfg, err
		}
		if cfg.LockoutCounterReset, err = l.Duration("lockout_counter_reset", cfg.LockoutCounterReset); err != nil {
			return cfg, err
		}
		if cfg.DisableLockout, err = l.Bool("lockout_disable", cfg.DisableLockout); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func (a *API) disableAuth(r *Request) (*Response, error) {
	path, _ := mountPathParam(r)
	return nil, a.node.DisableAuth(r.Context, path)
}
