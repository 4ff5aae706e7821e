package vault

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"iamd/iamerr"
	"iamd/server"
)

// Response is a logical answer, rendered in Vault's envelope.
type Response struct {
	Data     map[string]any
	Auth     *Auth
	Warnings []string
}

// Auth is the envelope's auth block (spec/vault.md §1.2).
type Auth struct {
	ClientToken      string            `json:"client_token"`
	Accessor         string            `json:"accessor"`
	Policies         []string          `json:"policies"`
	TokenPolicies    []string          `json:"token_policies,omitempty"`
	IdentityPolicies []string          `json:"identity_policies,omitempty"`
	Metadata         map[string]string `json:"metadata"`
	LeaseDuration    int64             `json:"lease_duration"`
	Renewable        bool              `json:"renewable"`
	EntityID         string            `json:"entity_id"`
	TokenType        string            `json:"token_type"`
	Orphan           bool              `json:"orphan"`
	MFARequirement   any               `json:"mfa_requirement"`
	NumUses          int               `json:"num_uses"`
}

type envelope struct {
	RequestID     string         `json:"request_id"`
	LeaseID       string         `json:"lease_id"`
	Renewable     bool           `json:"renewable"`
	LeaseDuration int64          `json:"lease_duration"`
	Data          map[string]any `json:"data"`
	WrapInfo      any            `json:"wrap_info"`
	Warnings      []string       `json:"warnings"`
	Auth          *Auth          `json:"auth"`
	MountType     string         `json:"mount_type"`
}

// writeJSON writes v with Vault's exact headers: Content-Type without a
// charset (hvac compares it exactly) and a trailing newline.
func writeJSON(c echo.Context, status int, v any) error {
	h := c.Response().Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	return json.NewEncoder(c.Response()).Encode(v)
}

func respondErrors(c echo.Context, status int, msgs ...string) error {
	if msgs == nil {
		msgs = []string{}
	}
	c.Response().Header().Set("X-Request-Id", requestID(c))
	return writeJSON(c, status, map[string][]string{"errors": msgs})
}

var errPermissionDenied = iamerr.New(iamerr.Denied, "permission denied")

// renderError maps an error kind to Vault's status and body. This is the one
// place the Vault dialect chooses error statuses.
func renderError(c echo.Context, err error) error {
	if held, werr := respondPending(c, err); held { // multi-user approval (approvals.go)
		return werr
	}
	e := iamerr.As(err)
	switch e.Kind {
	case iamerr.Invalid, iamerr.Conflict, iamerr.Limit:
		if e.Code == "request_too_large" {
			return respondErrors(c, http.StatusRequestEntityTooLarge, e.Message)
		}
		return respondErrors(c, http.StatusBadRequest, e.Message)
	case iamerr.NotFound:
		if e.Message == "" {
			return respondErrors(c, http.StatusNotFound)
		}
		return respondErrors(c, http.StatusNotFound, e.Message)
	case iamerr.Unauthorized:
		return respondErrors(c, http.StatusForbidden, "permission denied", "invalid token")
	case iamerr.Denied:
		return respondErrors(c, http.StatusForbidden, e.Message)
	case iamerr.Unavailable:
		return respondErrors(c, http.StatusServiceUnavailable, e.Message)
	}
	return respondErrors(c, http.StatusInternalServerError, e.Message)
}

func render(c echo.Context, r *Request, rt Route, resp *Response) error {
	c.Response().Header().Set("X-Request-Id", r.ID)
	if resp == nil || (resp.Data == nil && resp.Auth == nil && len(resp.Warnings) == 0) {
		switch r.Op {
		case server.OpRead, server.OpList:
			return respondErrors(c, http.StatusNotFound)
		}
		c.Response().Header().Del("Content-Type")
		return c.NoContent(http.StatusNoContent)
	}
	if r.Op == server.OpList && len(resp.Warnings) == 0 {
		if keys, ok := resp.Data["keys"].([]string); ok && len(keys) == 0 {
			return respondErrors(c, http.StatusNotFound)
		}
	}
	env := envelope{RequestID: r.ID, Data: resp.Data, Warnings: resp.Warnings, Auth: resp.Auth, MountType: rt.MountType}
	if rt.InjectTopLevel && resp.Data != nil {
		out := map[string]any{}
		raw, _ := json.Marshal(env)
		_ = json.Unmarshal(raw, &out)
		for k, v := range resp.Data {
			if _, clash := out[k]; !clash {
				out[k] = v
			}
		}
		return writeJSON(c, http.StatusOK, out)
	}
	return writeJSON(c, http.StatusOK, env)
}

const requestIDKey = "iamd.request_id"

// requestID returns the request's ID: the one its context carries (package
// api's requestContext puts it there, before the handlers run), or for an
// answer given before that (normalize's), one minted on first use and kept
// in echo's store.
func requestID(c echo.Context) string {
	if ri := server.RequestInfoFrom(c.Request().Context()); ri != nil && ri.RequestID != "" {
		return ri.RequestID
	}
	if id, ok := c.Get(requestIDKey).(string); ok {
		return id
	}
	id := server.NewRequestID()
	c.Set(requestIDKey, id)
	return id
}
