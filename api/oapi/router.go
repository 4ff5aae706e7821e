package oapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"iamd/iamerr"
	"iamd/server"
)

// sigService is the SigV4 credential scope service of OAPI requests.
const sigService = "oapi"

type api struct {
	node           *server.Node
	maxRequestSize int64
}

// Register mounts the OAPI dialect on e.
func Register(e *echo.Echo, node *server.Node, maxRequestSize int64) {
	a := &api{node: node, maxRequestSize: maxRequestSize}
	e.POST("/api/v1/:action", a.serve)
	e.POST("/api/latest/:action", a.serve)
}

// request is one authenticated call.
type request struct {
	*server.AWSCaller
	api    *api
	http   *http.Request
	action string
	body   []byte
	dryRun bool
}

func (a *api) serve(c echo.Context) error {
	req := c.Request()
	w := c.Response()
	requestID := server.RequestIDFrom(req.Context())
	act := actions[c.Param("action")]
	if act == nil {
		return writeError(w, requestID, oapiErr(http.StatusBadRequest, "8000", "OperationNotSupported",
			"The action %q is not supported by this endpoint", c.Param("action")))
	}
	body, err := a.readBody(req)
	if err != nil {
		return writeError(w, requestID, err)
	}
	caller, err := a.node.AuthenticateAWS(req, body, sigService)
	if err != nil {
		return writeError(w, requestID, mapError(err, ""))
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	r := &request{AWSCaller: caller, api: a, http: req, action: c.Param("action"), body: body}
	var dry struct {
		DryRun *bool `json:"DryRun"`
	}
	if err := json.Unmarshal(body, &dry); err != nil {
		return writeError(w, requestID, decodeError(err))
	}
	r.dryRun = dry.DryRun != nil && *dry.DryRun
	if err := a.node.AuthorizeSecurityAPI(req.Context(), caller, r.action); err != nil {
		return writeError(w, requestID, mapError(err, act.notFound))
	}
	ctx, idx := server.WithIndexRecorder(req.Context())
	r.http = req.WithContext(ctx)
	out, err := act.run(r)
	if *idx > 0 {
		w.Header().Set("X-Iamd-Index", strconv.FormatUint(*idx, 10))
	}
	if err != nil {
		if iamerr.KindOf(err) == iamerr.Internal {
			a.node.Logger().Error("oapi action failed", "action", r.action, "request_id", requestID, "error", err)
		}
		return writeError(w, requestID, mapError(err, act.notFound))
	}
	if out == nil {
		out = map[string]any{}
	}
	if r.dryRun {
		out["DryRun"] = true
	}
	out["ResponseContext"] = responseContext{RequestID: requestID}
	return writeJSON(w, http.StatusOK, out)
}

func (a *api) readBody(req *http.Request) ([]byte, error) {
	if req.ContentLength > a.maxRequestSize {
		return nil, oapiErr(http.StatusRequestEntityTooLarge, "0", "DefaultError", "The request body exceeds %d bytes", a.maxRequestSize)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, a.maxRequestSize+1))
	if err != nil {
		return nil, oapiErr(http.StatusBadRequest, "0", "DefaultError", "The request body could not be read: %v", err)
	}
	if int64(len(body)) > a.maxRequestSize {
		return nil, oapiErr(http.StatusRequestEntityTooLarge, "0", "DefaultError", "The request body exceeds %d bytes", a.maxRequestSize)
	}
	return body, nil
}

type responseContext struct {
	RequestID string `json:"RequestId"`
}

type errorItem struct {
	Code    string `json:"Code"`
	Type    string `json:"Type"`
	Details string `json:"Details"`
}

type errorBody struct {
	Errors          []errorItem     `json:"Errors"`
	ResponseContext responseContext `json:"ResponseContext"`
}

func writeError(w http.ResponseWriter, requestID string, err error) error {
	var oe *oapiError
	if !errors.As(err, &oe) {
		oe = mapError(err, "").(*oapiError)
	}
	return writeJSON(w, oe.status, errorBody{Errors: []errorItem{{Code: oe.code, Type: oe.typ, Details: oe.details}},
		ResponseContext: responseContext{RequestID: requestID}})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}
