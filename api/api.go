// Package api builds the HTTP surface of a node: one echo server carrying
// every dialect (Vault-style /v1/, the AWS query API at /). Each dialect
// lives in its own sub-package; this package only assembles them.
package api

import (
	"github.com/labstack/echo/v4"

	"iamd/api/awsquery"
	"iamd/api/oapi"
	"iamd/api/s4admin"
	"iamd/api/vault"
	"iamd/server"
)

// New returns the HTTP handler for node.
func New(node *server.Node, maxRequestSize int64) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(instrument)        // request counts and latencies (metrics.go), first so it times the rest
	e.Use(consistency(node)) // read-your-writes and standby redirects, every dialect
	e.Use(requestContext())  // request id, client address and connection for audit entries and access rules (audit.go)
	diagnostics(e, node)     // sys/metrics, sys/pprof, the no-op (diag.go)
	vault.RegisterSecurity(vault.Register(e, node, maxRequestSize))
	awsquery.Register(e, node, maxRequestSize)
	oapi.Register(e, node, maxRequestSize) // OUTSCALE OAPI at /api/v1/<Action>
	s4admin.Register(e, node)              // S4 admin API at /api/admin/ (docs/s4.md)
	return e
}
