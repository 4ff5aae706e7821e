package vault

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"iamd/server"
)

// Handler answers one logical operation on one path. A nil response means
// "nothing": 404 for reads and lists, 204 for writes and deletes.
type Handler func(r *Request) (*Response, error)

// Route binds a path pattern (echo syntax, relative to /v1/) to handlers per
// operation.
type Route struct {
	Pattern string
	Ops     map[server.VaultOperation]Handler
	// Unauthenticated routes ignore the token (login, sys/mfa/validate).
	Unauthenticated bool
	// InjectTopLevel copies data to the top level of the envelope, as
	// Vault does for sys/auth, sys/policy and sys/ha-status.
	InjectTopLevel bool
	// MountType is the envelope's mount_type; by default the type of the
	// mount the pattern is under (mountTypeOf).
	MountType string
}

// mountTypeOf is the type of Vault's built-in mount a route pattern is
// under: "system" for sys/, "token" for auth/token/, "identity".
func mountTypeOf(pattern string) string {
	switch {
	case strings.HasPrefix(pattern, "sys/"):
		return "system"
	case strings.HasPrefix(pattern, "auth/token/"):
		return "token"
	case strings.HasPrefix(pattern, "identity/"):
		return "identity"
	}
	return ""
}

// API is the /v1 surface of one node.
type API struct {
	node           *server.Node
	maxRequestSize int64
	echo           *echo.Echo
	backends       map[string]Backend // auth method type -> backend
}

// Register mounts the Vault dialect on e. maxRequestSize bounds bodies
// (413 beyond it).
func Register(e *echo.Echo, node *server.Node, maxRequestSize int64) *API {
	a := &API{node: node, maxRequestSize: maxRequestSize, echo: e, backends: map[string]Backend{}}
	e.Pre(a.normalize)
	a.registerBare(e)
	for _, group := range [][]Route{a.tokenRoutes(), a.sysRoutes(), a.policyRoutes(), a.identityRoutes(), a.identityGroupRoutes(), a.groupAliasRoutes(), a.mfaRoutes(), a.clusterRoutes(), a.internalRoutes()} {
		for _, rt := range group {
			a.Add(rt)
		}
	}
	// Mounted auth methods live at dynamic paths; one catch-all resolves
	// the mount from state and hands the rest of the path to its backend.
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, "LIST"} {
		e.Add(m, "/v1/auth/*", a.dispatchMount)
	}
	next := e.HTTPErrorHandler
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if strings.HasPrefix(c.Request().URL.Path, "/v1/") && !c.Response().Committed {
			a.routingError(err, c)
			return
		}
		next(err, c)
	}
	return a
}

// routingError renders echo's routing failures in Vault's shapes.
func (a *API) routingError(err error, c echo.Context) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusMethodNotAllowed:
			respondErrors(c, http.StatusMethodNotAllowed, "unsupported operation")
			return
		case http.StatusNotFound:
			path := strings.TrimPrefix(c.Request().URL.Path, "/v1/")
			respondErrors(c, http.StatusNotFound, `no handler for route "`+path+`". route entry not found.`)
			return
		}
		respondErrors(c, he.Code, fmt.Sprint(he.Message))
		return
	}
	renderError(c, err)
}

// Add registers a route for every operation it handles.
func (a *API) Add(rt Route) {
	if rt.MountType == "" {
		rt.MountType = mountTypeOf(rt.Pattern)
	}
	for op, h := range rt.Ops {
		for _, method := range methodsFor(op) {
			a.echo.Add(method, "/v1/"+rt.Pattern, a.wrap(rt, op, h))
		}
	}
}

func methodsFor(op server.VaultOperation) []string {
	switch op {
	case server.OpRead:
		return []string{http.MethodGet, http.MethodHead}
	case server.OpUpdate, server.OpCreate:
		return []string{http.MethodPost, http.MethodPut}
	case server.OpDelete:
		return []string{http.MethodDelete}
	case server.OpList:
		return []string{"LIST"}
	case server.OpPatch:
		return []string{http.MethodPatch}
	}
	return nil
}

var allowedMethods = map[string]bool{
	http.MethodGet: true, "LIST": true, http.MethodPost: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodPatch: true, http.MethodHead: true, http.MethodOptions: true,
}

// normalize turns GET ?list=true into LIST and drops the trailing slash of
// list paths before routing, as Vault's http layer does.
func (a *API) normalize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if !strings.HasPrefix(req.URL.Path, "/v1/") {
			return next(c)
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		if !allowedMethods[req.Method] {
			return respondErrors(c, http.StatusMethodNotAllowed)
		}
		if req.Method == http.MethodPatch {
			if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/merge-patch+json" {
				return respondErrors(c, http.StatusUnsupportedMediaType,
					"PATCH requires Content-Type application/merge-patch+json")
			}
		}
		if req.Method == http.MethodGet {
			if v, ok := req.URL.Query()["list"]; ok {
				isList, err := parseBoolString(v[0])
				if err != nil {
					return respondErrors(c, http.StatusBadRequest)
				}
				if isList {
					req.Method = "LIST"
				}
			}
		}
		if len(req.URL.Path) > len("/v1/") && strings.HasSuffix(req.URL.Path, "/") {
			req.URL.Path = strings.TrimRight(req.URL.Path, "/")
			req.URL.RawPath = ""
		}
		return next(c)
	}
}

// wrap turns a Handler into an echo handler: parse, authenticate,
// authorize, call, render.
func (a *API) wrap(rt Route, op server.VaultOperation, h Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := a.newRequest(c, op)
		if err != nil {
			return renderError(c, err)
		}
		return a.serve(r, rt, h)
	}
}

func (a *API) serve(r *Request, rt Route, h Handler) error {
	c := r.echo
	if err := a.node.AwaitInitialized(r.Context); err != nil {
		if errors.Is(err, server.ErrNotInitialized) {
			return respondErrors(c, http.StatusServiceUnavailable, "Vault is not initialized")
		}
		return renderError(c, err)
	}
	if !rt.Unauthenticated {
		if err := a.authenticate(r); err != nil {
			return renderError(c, err)
		}
	}
	ctx, idx := server.WithIndexRecorder(r.Context)
	r.Context = ctx
	resp, err := h(r)
	if *idx > 0 {
		c.Response().Header().Set(IndexHeader, formatUint(*idx))
	}
	if err != nil {
		return renderError(c, err)
	}
	return render(c, r, rt, resp)
}

// IndexHeader carries the Raft index a write was applied at; a read that
// sends it back waits until the node has applied it (read-your-writes).
const IndexHeader = "X-Iamd-Index"

func (a *API) authenticate(r *Request) error {
	caller, err := a.node.Authenticate(r.Context, r.Token)
	if err != nil {
		return err
	}
	r.Caller = caller
	if !a.node.AllowVault(caller, r.Path, r.Op) {
		return errPermissionDenied
	}
	return nil
}

// Backend serves the paths under one auth mount (userpass, ...).
type Backend interface {
	// Route returns the handler for an operation on a path relative to
	// the mount, and whether it needs no token.
	Route(op server.VaultOperation, subpath string) (h Handler, unauthenticated bool, ok bool)
}

// RegisterBackend makes an auth method type servable under auth/<mount>/.
func (a *API) RegisterBackend(typ string, b Backend) { a.backends[typ] = b }

func (a *API) dispatchMount(c echo.Context) error {
	op := opForMethod(c.Request().Method)
	r, err := a.newRequest(c, op)
	if err != nil {
		return renderError(c, err)
	}
	rest := strings.TrimPrefix(r.Path, "auth/")
	if strings.HasPrefix(rest, "token/") {
		// auth/token/* paths are static routes: reaching here means the
		// path exists for other methods only, or not at all.
		for _, rt := range a.tokenRoutes() {
			if rt.Pattern == r.Path {
				return respondErrors(c, http.StatusMethodNotAllowed, "unsupported operation")
			}
		}
		return respondErrors(c, http.StatusNotFound, "unsupported path")
	}
	// A mount enabled through another node a moment ago may not be
	// applied here yet: on a miss, catch up with the cluster once.
	for try := 0; try < 2; try++ {
		if try == 1 && !a.node.CatchUp(r.Context) {
			break
		}
		st := a.node.State()
		for _, m := range st.AuthMounts() {
			if !strings.HasPrefix(rest+"/", m.Path) {
				continue
			}
			b, ok := a.backends[m.Type]
			if !ok {
				break
			}
			r.Mount = m
			h, unauth, ok := b.Route(op, strings.TrimSuffix(strings.TrimPrefix(rest+"/", m.Path), "/"))
			if !ok {
				break
			}
			return a.serve(r, Route{Unauthenticated: unauth, MountType: m.Type}, h)
		}
	}
	return respondErrors(c, http.StatusNotFound, `no handler for route "`+r.Path+`". route entry not found.`)
}

func opForMethod(m string) server.VaultOperation {
	switch m {
	case http.MethodGet, http.MethodHead:
		return server.OpRead
	case http.MethodDelete:
		return server.OpDelete
	case "LIST":
		return server.OpList
	case http.MethodPatch:
		return server.OpPatch
	}
	return server.OpUpdate
}
