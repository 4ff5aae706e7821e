package server

import (
	"context"
	"strings"

	"iamd/fsm"
	"iamd/iamerr"
)

// knownAuthTypes are the auth methods iamd can mount.
var knownAuthTypes = map[string]bool{"userpass": true}

// EnableAuthRequest is sys/auth/:path's input.
type EnableAuthRequest struct {
	Path        string
	Type        string
	Description string
	Local       bool
	SealWrap    bool
	Config      fsm.MountConfig
	Options     map[string]string
}

// EnableAuth mounts an auth method at a path.
func (n *Node) EnableAuth(ctx context.Context, req EnableAuthRequest) error {
	path := strings.Trim(req.Path, "/")
	if path == "" {
		return iamerr.New(iamerr.Invalid, "missing path")
	}
	if path == "token" || strings.HasPrefix(path, "token/") {
		return iamerr.New(iamerr.Invalid, "token credential backend cannot be instantiated")
	}
	if req.Type == "" {
		return iamerr.New(iamerr.Invalid, "backend type must be specified as a string")
	}
	if !knownAuthTypes[req.Type] {
		return iamerr.New(iamerr.Invalid, "plugin not found in the catalog: %s", req.Type)
	}
	m := fsm.AuthMount{
		Path: path + "/", Type: req.Type, Accessor: "auth_" + req.Type + "_" + newHex8(), UUID: newUUID(),
		Description: req.Description, Local: req.Local, SealWrap: req.SealWrap, Config: req.Config,
		Options: req.Options, CreatedAt: n.now().UTC(),
	}
	// A collision on the random accessor is refused in Apply; draw again.
	for attempt := 0; ; attempt++ {
		_, err := n.apply(ctx, fsm.CmdEnableAuth, fsm.EnableAuth{Mount: m})
		if err == nil || !iamerr.Is(err, iamerr.Conflict) || attempt == 3 {
			return err
		}
		m.Accessor = "auth_" + req.Type + "_" + newHex8()
	}
}

// DisableAuth unmounts the auth method at path.
func (n *Node) DisableAuth(ctx context.Context, path string) error {
	_, err := n.apply(ctx, fsm.CmdDisableAuth, fsm.DisableAuth{Path: strings.Trim(path, "/") + "/"})
	return err
}

// TuneAuth replaces a mount's tunable settings.
func (n *Node) TuneAuth(ctx context.Context, path string, cfg fsm.MountConfig, description *string) error {
	_, err := n.apply(ctx, fsm.CmdTuneAuth, fsm.TuneAuth{Path: strings.Trim(path, "/") + "/", Config: cfg, Description: description})
	return err
}
