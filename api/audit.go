package api

import (
	"strings"

	"github.com/labstack/echo/v4"

	"iamd/api/vault"
	"iamd/server"
)

// requestInfo puts the request's id and client address in its context for
// both dialects; the write path attaches them to audited commands
// (server/audit.go). The Vault dialect's id is the request_id it answers
// with; the AWS dialect reads it back with server.RequestIDFrom.
func requestInfo() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id := ""
			if strings.HasPrefix(req.URL.Path, "/v1/") {
				id = vault.RequestID(c)
			} else {
				id = server.NewRequestID()
			}
			c.SetRequest(req.WithContext(server.WithRequestInfo(req.Context(), id, c.RealIP())))
			return next(c)
		}
	}
}
