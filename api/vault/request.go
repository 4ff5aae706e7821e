package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// Request is one parsed /v1 request.
type Request struct {
	echo    echo.Context
	Context context.Context
	Op      server.VaultOperation
	Path    string // logical path without /v1/ and without trailing slash
	Token   string
	Data    map[string]any
	Caller  *server.Caller // nil on unauthenticated routes
	Mount   *fsm.AuthMount // set for paths under a mounted auth method
	ID      string         // request id
}

// Param returns a path parameter by echo name.
func (r *Request) Param(name string) string {
	v := r.echo.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// Header returns a request header.
func (r *Request) Header(name string) string { return r.echo.Request().Header.Get(name) }

// Headers returns every value of a request header.
func (r *Request) Headers(name string) []string { return r.echo.Request().Header.Values(name) }

// RemoteIP is the client's address as seen by this node.
func (r *Request) RemoteIP() string { return r.echo.RealIP() }

var errParseJSON = iamerr.New(iamerr.Invalid, "error parsing JSON")

func (a *API) newRequest(c echo.Context, op server.VaultOperation) (*Request, error) {
	req := c.Request()
	r := &Request{
		echo:    c,
		Context: req.Context(),
		Op:      op,
		Path:    strings.Trim(strings.TrimPrefix(req.URL.Path, "/v1/"), "/"),
		Token:   tokenFrom(req),
		ID:      requestID(c),
		Data:    map[string]any{},
	}
	if req.Header.Get("X-Vault-Wrap-TTL") != "" {
		// Ignoring the header would hand back in clear the secret the
		// client asked to have wrapped.
		return r, errWrappingUnsupported
	}
	if op == server.OpRead || op == server.OpList {
		// Query parameters become data on reads (list's after/limit).
		for k, v := range req.URL.Query() {
			if k != "list" && len(v) > 0 {
				r.Data[k] = v[0]
			}
		}
		return r, nil
	}
	body, err := readBody(req, a.maxRequestSize)
	if err != nil {
		return r, err
	}
	if err := decodeBody(req, body, r.Data); err != nil {
		return r, err
	}
	return r, nil
}

// tokenFrom reads X-Vault-Token, else "Authorization: Bearer <token>".
func tokenFrom(req *http.Request) string {
	if t := req.Header.Get("X-Vault-Token"); t != "" {
		return t
	}
	if auth := req.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(auth, "Bearer "))
	}
	return ""
}

var errWrappingUnsupported = iamerr.New(iamerr.Invalid, "response wrapping (X-Vault-Wrap-TTL) is not supported by iamd")

var errTooLarge = iamerr.WithCode(iamerr.Invalid, "request_too_large", "http: request body too large")

func readBody(req *http.Request, limit int64) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge
		}
		return nil, iamerr.New(iamerr.Invalid, "failed to read request body: %v", err)
	}
	return body, nil
}

// decodeBody parses a JSON object, or a form when the content says so.
func decodeBody(req *http.Request, body []byte, into map[string]any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	// Like Vault, a body that looks like JSON is JSON whatever the
	// Content-Type says (curl -d sends a form type by default).
	ct := req.Header.Get("Content-Type")
	isJSON := trimmed[0] == '{' || trimmed[0] == '['
	if !isJSON && (strings.HasPrefix(ct, "application/x-www-form-urlencoded") || looksLikeForm(trimmed)) {
		form, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return iamerr.New(iamerr.Invalid, "error parsing form: %v", err)
		}
		for k, v := range form {
			if len(v) == 1 {
				into[k] = v[0]
			} else {
				into[k] = v
			}
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&into); err != nil || dec.More() {
		return errParseJSON
	}
	return nil
}

func looksLikeForm(b []byte) bool {
	return bytes.IndexByte(b, '=') > 0 && http.DetectContentType(b) != "application/json"
}

func parseBoolString(s string) (bool, error) { return strconv.ParseBool(s) }

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }
