package api

import (
	"strings"

	"github.com/labstack/echo/v4"

	"iamd/api/vault"
	"iamd/server"
)

// requestContext gives every request's context, in both dialects, what the
// server reads from the request besides its parameters:
//
//   - its id and client address, which the write path attaches to audited
//     commands (server/audit.go). The Vault dialect's id is the request_id
//     it answers with; the AWS dialect reads it back with
//     server.RequestIDFrom;
//   - its connection facts (TCP peer address, TLS client certificates),
//     which the server checks against the account's API access rules in
//     every dialect (server/access_rules.go).
//
// Both go into one new context, so the request is copied once
// (Request.WithContext copies it whole).
func requestContext() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id := ""
			if strings.HasPrefix(req.URL.Path, "/v1/") {
				id = vault.RequestID(c)
			} else {
				id = server.NewRequestID()
			}
			ctx := server.WithRequestInfo(req.Context(), id, c.RealIP())
			c.SetRequest(req.WithContext(server.WithConnInfo(ctx, req)))
			return next(c)
		}
	}
}
