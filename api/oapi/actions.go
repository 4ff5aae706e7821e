package oapi

// action is one OAPI action: its handler and the code of a missing
// resource in its context.
type action struct {
	notFound string
	run      func(r *request) (map[string]any, error)
}

// actions is filled by init functions next to the handlers and read-only
// afterwards.
var actions = map[string]*action{}

func register(name, notFound string, run func(r *request) (map[string]any, error)) {
	if _, dup := actions[name]; dup {
		panic("oapi: action " + name + " registered twice")
	}
	actions[name] = &action{notFound: notFound, run: run}
}
