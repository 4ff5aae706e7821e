// Package s4admin answers S4's admin API (/api/admin/login, /users,
// /users/{id}/credentials; spec/account-security.md §3.2, §5.4) as a thin
// layer over the server's IAM and login operations, so that S4's scripts
// keep working. It parses S4's JSON, calls server operations and renders
// S4's shapes with proper 400/401/403/404/409 codes instead of S4's 500s.
// It must not import fsm tables or raft; see docs/s4.md.
package s4admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"iamd/iamerr"
	"iamd/server"
)

// maxBody bounds a request body: the largest has three short strings.
const maxBody = 64 << 10

// maxUsers is S4's list limit.
const maxUsers = 1000

type api struct{ node *server.Node }

// Register adds the admin routes to e.
func Register(e *echo.Echo, node *server.Node) {
	a := &api{node: node}
	e.POST("/api/admin/login", a.login)
	e.GET("/api/admin/users", a.admin(a.listUsers))
	e.POST("/api/admin/users", a.admin(a.createUser))
	e.GET("/api/admin/users/:id", a.admin(a.getUser))
	e.GET("/api/admin/users/:id/credentials", a.admin(a.listCredentials))
	e.POST("/api/admin/users/:id/credentials", a.admin(a.createCredential))
	e.DELETE("/api/admin/users/:id/credentials", a.admin(a.deleteCredentials))
}

// request is one authenticated admin call.
type request struct {
	echo.Context
	vault *server.Caller
	aws   *server.AWSCaller
}

// admin authenticates the bearer token (S4's middleware messages) and
// passes the caller on.
func (a *api) admin(h func(*request) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		auth := c.Request().Header.Get("Authorization")
		if auth == "" {
			return fail(c, http.StatusUnauthorized, "Missing Authorization header")
		}
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return fail(c, http.StatusBadRequest, "Invalid Authorization header format")
		}
		vc, ac, err := a.node.S4Admin(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			return failErr(c, err)
		}
		return h(&request{Context: c, vault: vc, aws: ac})
	}
}

// decode reads a JSON body into v; unknown fields are ignored, as S4 does.
func decode(c echo.Context, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	if err != nil {
		return iamerr.New(iamerr.Invalid, "request body too large")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return iamerr.New(iamerr.Invalid, "Invalid JSON body: %v", err)
	}
	return nil
}

type errorBody struct {
	Error string `json:"error"`
}

func fail(c echo.Context, status int, msg string) error {
	return c.JSON(status, errorBody{Error: msg})
}

// failErr renders an error in S4's shape; kinds map to codes here only.
func failErr(c echo.Context, err error) error {
	var e *iamerr.Error
	if !errors.As(err, &e) {
		return fail(c, http.StatusInternalServerError, "internal error")
	}
	msg := e.Message
	status := http.StatusInternalServerError
	switch e.Kind {
	case iamerr.Invalid:
		status = http.StatusBadRequest
	case iamerr.NotFound:
		status, msg = http.StatusNotFound, notFoundMessage(e)
	case iamerr.Conflict, iamerr.Limit:
		status = http.StatusConflict
		if e.Code == "EntityAlreadyExists" {
			msg = "User already exists"
		}
	case iamerr.Denied:
		status, msg = http.StatusForbidden, "Forbidden"
	case iamerr.Unauthorized:
		status = http.StatusUnauthorized
	case iamerr.Unavailable:
		status = http.StatusServiceUnavailable
	case iamerr.Internal:
		msg = "internal error"
	}
	return fail(c, status, msg)
}

// notFoundMessage keeps S4's "User not found" for users.
func notFoundMessage(e *iamerr.Error) string {
	if strings.Contains(e.Message, "user with name") || e.Message == "User not found" {
		return "User not found"
	}
	return e.Message
}

// usernameShape is S4's rule (3-32 characters, alphanumeric or _), ASCII
// only: S4 also lets Unicode letters through.
var usernameShape = regexp.MustCompile(`^[A-Za-z0-9_]{3,32}$`)

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
