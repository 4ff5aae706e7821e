package awsquery

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"iamd/iamerr"
	"iamd/server"
)

// indexHeader carries the Raft index of a write, as on /v1 (the consistency
// middleware in package api reads it back for read-your-writes).
const indexHeader = "X-Iamd-Index"

type api struct {
	node           *server.Node
	maxRequestSize int64
}

// Register mounts the AWS query dialect at `/` (POST and GET) on e. Paths
// under /v1/ are untouched. maxRequestSize bounds bodies (413 beyond it).
func Register(e *echo.Echo, node *server.Node, maxRequestSize int64) {
	a := &api{node: node, maxRequestSize: maxRequestSize}
	e.POST("/", a.serve)
	e.GET("/", a.serve)
	next := e.HTTPErrorHandler
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if c.Request().URL.Path == "/" && !c.Response().Committed {
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed {
				writeError(c.Response(), IAMNamespace, server.NewRequestID(),
					errorWithCode(iamerr.Invalid, "InvalidAction", "The AWS query API accepts only GET and POST."))
				return
			}
		}
		next(err, c)
	}
}

func (a *api) serve(c echo.Context) error {
	req := c.Request()
	w := c.Response()
	requestID := server.RequestIDFrom(req.Context()) // the id audit entries carry
	body, err := a.readBody(w, req)
	if err != nil {
		return writeError(w, IAMNamespace, requestID, err)
	}
	values, err := parseForm(req.URL.RawQuery, body, req.Method == http.MethodPost && isForm(req))
	if err != nil {
		return writeError(w, IAMNamespace, requestID, err)
	}
	action, version := values["Action"], values["Version"]
	if ri := server.RequestInfoFrom(req.Context()); ri != nil {
		ri.Action = action // for the request metrics (package api)
	}
	d, h := resolve(version, action)
	ns, service := IAMNamespace, ""
	if d != nil {
		ns = d.namespace
		if h != nil {
			service = d.service
		}
	}
	caller, err := a.node.AuthenticateAWS(req, body, service)
	if err != nil {
		return writeError(w, ns, requestID, err)
	}
	switch {
	case action == "":
		return writeError(w, ns, requestID, errorWithCode(iamerr.Invalid, "MissingAction", "Missing Action"))
	case d == nil:
		return writeError(w, ns, requestID, errorWithCode(iamerr.Invalid, "InvalidAction",
			"Could not find operation %s for version %s", clip(action), clip(version)))
	case h == nil:
		return writeError(w, ns, requestID, errorWithCode(iamerr.Invalid, "InvalidAction",
			"Could not find operation %s for version %s", clip(action), d.version))
	}
	ctx, idx := server.WithIndexRecorder(req.Context())
	r := &Request{Ctx: ctx, Node: a.node, Caller: caller, Action: action, RequestID: requestID,
		Params: NewParams(values), HTTP: req}
	result, err := h(r)
	if *idx > 0 {
		w.Header().Set(indexHeader, strconv.FormatUint(*idx, 10))
	}
	if err != nil {
		if iamerr.KindOf(err) == iamerr.Internal {
			a.node.Logger().Error("aws query action failed", "action", action, "request_id", requestID, "error", err)
		}
		return writeError(w, ns, requestID, err)
	}
	return writeResult(w, ns, action, requestID, result)
}

// readBody reads the whole body, once: SigV4 hashes it and the form parser
// reads it. Beyond maxRequestSize the answer is 413.
func (a *api) readBody(w http.ResponseWriter, req *http.Request) ([]byte, error) {
	if req.ContentLength > a.maxRequestSize {
		return nil, tooLarge(a.maxRequestSize)
	}
	if req.ContentLength >= 0 {
		// The length is known (what every SDK sends) and the server's body
		// stops there: one buffer of that size, no limit reader.
		n := req.ContentLength
		body := make([]byte, n, n+1) // the extra byte reads the end of the body
		_, err := io.ReadFull(req.Body, body)
		if err == nil {
			if _, err = req.Body.Read(body[n : n+1]); err == io.EOF {
				return body, nil
			}
		}
		if err == nil {
			err = errors.New("body longer than its Content-Length")
		}
		return nil, errorWithCode(iamerr.Invalid, "InvalidQueryParameter", "The request body could not be read: %v", err)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, a.maxRequestSize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(a.maxRequestSize)
		}
		return nil, errorWithCode(iamerr.Invalid, "InvalidQueryParameter", "The request body could not be read: %v", err)
	}
	return body, nil
}

func tooLarge(limit int64) error {
	return errorWithCode(iamerr.Invalid, "RequestEntityTooLarge", "The request body exceeds the maximum size of %d bytes.", limit)
}

// isForm reports whether the body is form-encoded; another content type
// carries no parameters (spec §1.1: then MissingAction).
func isForm(req *http.Request) bool {
	ct := req.Header.Get("Content-Type")
	switch ct {
	case "":
		return false
	case formType, formType + "; charset=utf-8": // what the SDKs send, without parsing
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == formType
}

const formType = "application/x-www-form-urlencoded"
