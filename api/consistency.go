package api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"iamd/api/vault"
	"iamd/server"
)

// ReadIndexWait bounds how long a request carrying X-Iamd-Index waits for
// this node to apply that index before it answers 412.
var ReadIndexWait = 5 * time.Second

// consistency is the cluster-wide part of every dialect's request handling:
//
//   - read-your-writes: a request that sends back the X-Iamd-Index it got
//     from a write waits until this node has applied that index (bounded
//     by ReadIndexWait, then 412), so it sees the write on any node;
//   - X-Vault-No-Request-Forwarding: a follower answers a Vault write with
//     307 to the leader's api_addr instead of forwarding it.
func consistency(node *server.Node) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Header.Get("X-Vault-No-Request-Forwarding") != "" && isForwardedWrite(req) {
				if st := node.Status(); st.Initialized && !st.IsLeader && !st.Removed {
					if st.LeaderAPIAddr == "" {
						return failRequest(c, http.StatusServiceUnavailable, "ServiceUnavailable", "no active iamd node found")
					}
					c.Response().Header().Set("Location", strings.TrimRight(st.LeaderAPIAddr, "/")+req.URL.RequestURI())
					return c.NoContent(http.StatusTemporaryRedirect)
				}
			}
			if v := req.Header.Get(vault.IndexHeader); v != "" {
				idx, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return failRequest(c, http.StatusBadRequest, "InvalidParameterValue",
						vault.IndexHeader+" must be a Raft index (an unsigned integer)")
				}
				ctx, cancel := context.WithTimeout(req.Context(), ReadIndexWait)
				err = node.WaitForIndex(ctx, idx)
				cancel()
				if err != nil {
					return failRequest(c, http.StatusPreconditionFailed, "PreconditionFailed", fmt.Sprintf(
						"this node has applied raft index %d, not yet %d (waited %s): retry, or send the request to the leader",
						node.Status().AppliedIndex, idx, ReadIndexWait))
				}
			}
			return next(c)
		}
	}
}

// isForwardedWrite tells the Vault requests a follower would forward:
// writes, except those every node answers itself.
func isForwardedWrite(req *http.Request) bool {
	if !strings.HasPrefix(req.URL.Path, "/v1/") {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, "LIST", http.MethodOptions:
		return false
	}
	for _, p := range []string{"/v1/sys/storage/raft/join", "/v1/sys/init", "/v1/sys/unseal", "/v1/sys/seal"} {
		if strings.HasPrefix(req.URL.Path, p) {
			return false
		}
	}
	return true
}

// failRequest answers in the dialect of the request: Vault's errors
// envelope under /v1/, an AWS query-API error document elsewhere.
func failRequest(c echo.Context, status int, code, msg string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	if strings.HasPrefix(c.Request().URL.Path, "/v1/") {
		h.Set("Content-Type", "application/json")
		c.Response().WriteHeader(status)
		return json.NewEncoder(c.Response()).Encode(map[string][]string{"errors": {msg}})
	}
	type awsError struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	doc := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     awsError `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Error: awsError{Type: "Sender", Code: code, Message: msg}, RequestID: server.NewRequestID()}
	if status >= 500 {
		doc.Error.Type = "Receiver"
	}
	h.Set("Content-Type", "text/xml")
	c.Response().WriteHeader(status)
	return xml.NewEncoder(c.Response()).Encode(doc)
}
