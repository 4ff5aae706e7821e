package awsquery

import (
	"context"
	"fmt"
	"net/http"

	"iamd/server"
)

// Handler answers one action. It returns the children of <{Action}Result>
// (a struct with xml tags) or nil when the action has no output.
type Handler func(r *Request) (any, error)

// Request is one authenticated call of an action.
type Request struct {
	Ctx       context.Context
	Node      *server.Node
	Caller    *server.AWSCaller
	Action    string
	RequestID string
	Params    *Params
	HTTP      *http.Request
}

// dialect is one API version answered at POST /: IAM 2010-05-08, later STS
// 2011-06-15. Action names do not overlap between them, so a request
// without Version resolves by name.
type dialect struct {
	version   string
	namespace string // xmlns of answers and errors
	service   string // SigV4 credential scope service
	actions   map[string]Handler
}

const (
	// IAMVersion is the IAM query API version.
	IAMVersion = "2010-05-08"
	// IAMNamespace is the xmlns of IAM answers.
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// dialects is filled during package initialisation and read-only
// afterwards. IAM is declared here, not in an init function, so that it
// exists before any file's init registers actions (init functions run in
// file name order).
var dialects = map[string]*dialect{
	IAMVersion: {version: IAMVersion, namespace: IAMNamespace, service: "iam", actions: map[string]Handler{}},
}

// registerDialect declares an API version answered at POST /.
func registerDialect(version, namespace, service string) {
	if _, dup := dialects[version]; dup {
		panic("awsquery: version " + version + " registered twice")
	}
	dialects[version] = &dialect{version: version, namespace: namespace, service: service, actions: map[string]Handler{}}
}

// registerAction binds an IAM action name to its handler. Call it from
// init() in the file that implements the action.
func registerAction(name string, h Handler) { registerVersionAction(IAMVersion, name, h) }

// registerVersionAction binds an action of the given version's dialect.
func registerVersionAction(version, name string, h Handler) {
	d := dialects[version]
	if d == nil {
		panic("awsquery: unknown version " + version + " for action " + name)
	}
	for _, other := range dialects {
		if _, dup := other.actions[name]; dup {
			panic(fmt.Sprintf("awsquery: action %s registered twice", name))
		}
	}
	d.actions[name] = h
}

// resolve finds the dialect and handler for version and action. A known
// version with an unknown action returns the dialect and a nil handler; an
// empty version resolves by action name and falls back to IAM.
func resolve(version, action string) (*dialect, Handler) {
	if version != "" {
		d := dialects[version]
		if d == nil {
			return nil, nil
		}
		return d, d.actions[action]
	}
	for _, d := range dialects {
		if h := d.actions[action]; h != nil {
			return d, h
		}
	}
	return dialects[IAMVersion], nil
}

// Actions lists the registered action names of a version, for tests and
// documentation.
func Actions(version string) []string {
	d := dialects[version]
	if d == nil {
		return nil
	}
	out := make([]string, 0, len(d.actions))
	for name := range d.actions {
		out = append(out, name)
	}
	return out
}
