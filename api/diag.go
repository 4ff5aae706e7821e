package api

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/labstack/echo/v4"

	"iamd/server"
)

// diagnostics registers the node's own diagnostics:
//
//   - GET /v1/sys/metrics: Prometheus text format (metrics.go);
//   - GET /v1/sys/pprof/...: Go's pprof profiles, as Vault's sys/pprof,
//     for a root token only (a CPU profile costs the node CPU);
//   - GET /v1/sys/internal/noop: answers a constant, without
//     authentication or state, through the same listener, router and
//     middleware as every other request. scripts/bench compares the real
//     endpoints with it to show what authentication and authorization
//     cost above the HTTP stack.
func diagnostics(e *echo.Echo, node *server.Node) {
	e.GET("/v1/sys/metrics", metricsHandler(node))
	e.GET("/v1/sys/internal/noop", noop)
	e.GET("/v1/sys/pprof/*", func(c echo.Context) error {
		caller, err := node.Authenticate(c.Request().Context(), c.Request().Header.Get("X-Vault-Token"))
		if err != nil || !caller.IsRoot() {
			return failRequest(c, http.StatusForbidden, "AccessDenied", "permission denied")
		}
		name := strings.TrimSuffix(c.Param("*"), "/")
		switch name {
		case "", "index":
			pprof.Index(c.Response(), c.Request())
		case "profile":
			pprof.Profile(c.Response(), c.Request())
		case "trace":
			pprof.Trace(c.Response(), c.Request())
		case "cmdline":
			pprof.Cmdline(c.Response(), c.Request())
		case "symbol":
			pprof.Symbol(c.Response(), c.Request())
		default:
			pprof.Handler(name).ServeHTTP(c.Response(), c.Request())
		}
		return nil
	})
}

var noopBody = []byte(`{"ok":true}` + "\n")

func noop(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", noopBody)
}
