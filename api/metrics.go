package api

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"iamd/internal/telemetry"
	"iamd/server"
)

// instrument records every request's count and latency by dialect and
// action (iamd_http_requests_total, iamd_http_request_duration_seconds).
// It runs first, so the time covers the other middleware too.
func instrument(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			// Let echo render it now so that the status is known.
			c.Error(err)
			err = nil
		}
		dialect, action := classify(c)
		telemetry.RequestDuration.WithLabelValues(dialect, action).Observe(telemetry.Since(start))
		telemetry.Requests.WithLabelValues(dialect, action, strconv.Itoa(c.Response().Status)).Inc()
		return err
	}
}

// classify names a request for the metrics: Vault requests by method and
// route pattern (bounded by the route table), AWS query-API requests by
// their Action (bounded by actionLabels).
func classify(c echo.Context) (dialect, action string) {
	req := c.Request()
	path := req.URL.Path
	switch {
	case strings.HasPrefix(path, "/v1/sys/internal/"):
		dialect = "internal"
	case strings.HasPrefix(path, "/v1/"):
		dialect = "vault"
	default:
		return "aws", awsActions.label(awsAction(c))
	}
	route := c.Path()
	if route == "" || c.Response().Status == http.StatusNotFound && !strings.HasPrefix(route, "/v1/auth/") {
		route = "unmatched"
	}
	return dialect, req.Method + " " + route
}

// awsAction is the Action the query-API handler read from the body or
// the query (its own form parse is not in the request's Form), or, for a
// request that did not reach it, the Action in the URL query.
func awsAction(c echo.Context) string {
	req := c.Request()
	if ri := server.RequestInfoFrom(req.Context()); ri != nil && ri.Action != "" {
		return ri.Action
	}
	if req.URL.RawQuery != "" {
		return req.URL.Query().Get("Action")
	}
	return ""
}

// actionLabels bounds the label values a client can create: action names
// are checked for shape and only the first maxActions distinct ones get a
// label of their own; anything else is "other". Known names are found
// without a lock or a regexp: this runs on every request.
type actionLabels struct {
	seen sync.Map // action name -> struct{}
	mu   sync.Mutex
	n    int
}

const maxActions = 256

var (
	awsActions  = &actionLabels{}
	actionShape = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,63}$`)
)

func (l *actionLabels) label(a string) string {
	if a == "" {
		return "none"
	}
	if _, ok := l.seen.Load(a); ok {
		return a
	}
	if !actionShape.MatchString(a) {
		return "other"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen.Load(a); !ok {
		if l.n >= maxActions {
			return "other"
		}
		l.seen.Store(a, struct{}{})
		l.n++
	}
	return a
}

// metricsHandler serves /v1/sys/metrics in Prometheus text format: the
// process-wide metrics plus this node's Raft indexes. Like Vault's
// sys/metrics it needs a token allowed to read sys/metrics (Prometheus
// sends it as "Authorization: Bearer <token>").
func metricsHandler(node *server.Node) echo.HandlerFunc {
	own := prometheus.NewRegistry()
	labels := prometheus.Labels{"node_id": node.ID()}
	gauge := func(name, help string, f func(server.Status) uint64) {
		own.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(f(node.Status())) }))
	}
	gauge("iamd_raft_commit_index", "Highest Raft log index this node knows to be committed.",
		func(s server.Status) uint64 { return s.CommittedIndex })
	gauge("iamd_raft_applied_index", "Highest Raft log index this node has applied to its state.",
		func(s server.Status) uint64 { return s.AppliedIndex })
	gauge("iamd_raft_commit_lag", "Committed but not yet applied entries on this node (commit index - applied index).",
		func(s server.Status) uint64 {
			if s.CommittedIndex > s.AppliedIndex {
				return s.CommittedIndex - s.AppliedIndex
			}
			return 0
		})
	own.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "iamd_raft_is_leader",
		Help: "1 on the leader, 0 elsewhere.", ConstLabels: labels}, func() float64 {
		if node.Status().IsLeader {
			return 1
		}
		return 0
	}))
	h := promhttp.HandlerFor(prometheus.Gatherers{telemetry.Registry, own}, promhttp.HandlerOpts{})
	return func(c echo.Context) error {
		if err := requireVault(c, node, "sys/metrics"); err != nil {
			return err
		}
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// requireVault checks the request's Vault token for read on path and
// answers in Vault's shape when it is missing or not allowed.
func requireVault(c echo.Context, node *server.Node, path string) error {
	req := c.Request()
	token := req.Header.Get("X-Vault-Token")
	if auth := req.Header.Get("Authorization"); token == "" && strings.HasPrefix(auth, "Bearer ") {
		token = strings.TrimSpace(strings.TrimPrefix(auth, "Bearer "))
	}
	caller, err := node.Authenticate(req.Context(), token)
	if err != nil || !node.AllowVault(caller, path, server.OpRead) {
		return failRequest(c, http.StatusForbidden, "AccessDenied", "permission denied")
	}
	return nil
}
