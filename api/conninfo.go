package api

import (
	"github.com/labstack/echo/v4"

	"iamd/server"
)

// connInfo gives every request's context its connection facts (TCP peer
// address, TLS client certificates), which the server checks against the
// account's API access rules in every dialect (server/access_rules.go).
func connInfo() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			c.SetRequest(req.WithContext(server.WithConnInfo(req.Context(), req)))
			return next(c)
		}
	}
}
