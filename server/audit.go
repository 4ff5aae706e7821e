package server

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
)

// The server's part of the administrative audit log (fsm/audit.go): the
// request information the wire layer puts in the context, which the write
// path attaches to every audited command, and the audit operations.

// RequestInfo is what a node knows about the request being served. The wire
// layer creates it (api.requestContext); authentication fills in the caller.
type RequestInfo struct {
	RequestID string
	SourceIP  string
	// Action is the operation as the dialect that parsed the request names
	// it (the AWS query API's Action), for the request metrics. Only the
	// goroutine serving the request sets and reads it.
	Action string

	mu        sync.Mutex
	principal string
	accountID string
	// token is the Vault token the request carries (it is in the request's
	// headers anyway). Audit entries carry only its HMAC, computed when a
	// write is audited: most requests are reads and need none.
	token string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying the request's id and client address.
func WithRequestInfo(ctx context.Context, requestID, sourceIP string) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, &RequestInfo{RequestID: requestID, SourceIP: sourceIP})
}

// RequestInfoFrom returns the request's info, nil outside a request.
func RequestInfoFrom(ctx context.Context) *RequestInfo { return requestInfoFrom(ctx) }

func requestInfoFrom(ctx context.Context) *RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return ri
}

// RequestIDFrom is the id the wire layer gave the request (a new one if
// none), so a dialect answers with the id its audit entries carry.
func RequestIDFrom(ctx context.Context) string {
	if ri := requestInfoFrom(ctx); ri != nil && ri.RequestID != "" {
		return ri.RequestID
	}
	return NewRequestID()
}

// NotePrincipal records who the request is from; audit entries of the
// writes it makes carry it. The AWS dialect calls it with the caller's ARN
// and account after the signature check.
func NotePrincipal(ctx context.Context, principal, accountID string) {
	if ri := requestInfoFrom(ctx); ri != nil {
		ri.mu.Lock()
		ri.principal, ri.accountID = principal, accountID
		ri.mu.Unlock()
	}
}

// noteToken records a Vault token caller: its display name as principal and
// the token, which audit entries show only as its audit HMAC.
func (n *Node) noteToken(ctx context.Context, raw string, t *fsm.Token) {
	ri := requestInfoFrom(ctx)
	if ri == nil {
		return
	}
	principal := t.DisplayName
	if principal == "" {
		principal = "accessor:" + t.Accessor
	}
	ri.mu.Lock()
	ri.principal, ri.token = principal, raw
	ri.mu.Unlock()
}

// AuditHMAC hashes a secret the way audit entries show it. The key differs
// from the token-lookup HMAC (the input is prefixed), so an entry never
// holds a token table key.
func (n *Node) AuditHMAC(secret string) string {
	k := n.keyring.Load()
	if k == nil || secret == "" {
		return ""
	}
	return "hmac-sha256:" + strings.TrimPrefix(k.HMAC("audit\x00"+secret), "h")
}

// auditMeta builds the meta of a command proposed now from ctx.
func (n *Node) auditMeta(ctx context.Context) fsm.AuditMeta {
	meta := fsm.AuditMeta{Time: n.now().UTC(), Node: n.id}
	if ri := requestInfoFrom(ctx); ri != nil {
		ri.mu.Lock()
		meta.RequestID, meta.SourceIP = ri.RequestID, ri.SourceIP
		meta.Principal, meta.AccountID = ri.principal, ri.accountID
		token := ri.token
		ri.mu.Unlock()
		meta.TokenHMAC = n.AuditHMAC(token)
	}
	return meta
}

// encodeCommand is the write path's hook (applyAs): audited commands travel
// in an audit envelope with the request's meta; commands multi-user
// approval may hold get an approval id drawn here, never in Apply.
func (n *Node) encodeCommand(ctx context.Context, t fsm.CommandType, cmd any) ([]byte, error) {
	if !fsm.Audited(t) {
		return fsm.Encode(t, cmd)
	}
	meta := n.auditMeta(ctx)
	if fsm.Guardable(t) {
		meta.ApprovalID = newUUID()
	}
	return fsm.EncodeAudited(t, cmd, meta)
}

// AuditEvent logs an event that changes no state (a refused signature, a
// login refused before any command). It costs one Raft write; callers use
// it for security events, not for every request.
func (n *Node) AuditEvent(ctx context.Context, action, target string, failure error) error {
	ev := fsm.AuditEvent{Meta: n.auditMeta(ctx), Action: action, Target: target, Result: "success"}
	if failure != nil {
		e := iamerr.As(failure)
		ev.Result, ev.Error = "failure", string(e.Kind)
		if e.Code != "" {
			ev.Error += ":" + e.Code
		}
	}
	_, err := n.apply(ctx, fsm.CmdAuditEvent, ev)
	return err
}

// AuditLog reads the retained entries (see fsm.AuditRetention).
func (n *Node) AuditLog(f fsm.AuditFilter) ([]*fsm.AuditEntry, bool, fsm.AuditHead) {
	st := n.fsm.State()
	entries, more := st.AuditEntries(f)
	return entries, more, st.AuditHead()
}

// AuditDeviceRequest is sys/audit/:path's input.
type AuditDeviceRequest struct {
	Path        string
	Type        string
	Description string
	Options     map[string]string
	Local       bool
}

// EnableAuditDevice adds a file device. As Vault does, the file is opened
// (created) on this node first, so a bad path fails the request.
func (n *Node) EnableAuditDevice(ctx context.Context, req AuditDeviceRequest) error {
	path := strings.Trim(req.Path, "/")
	if path == "" {
		return iamerr.New(iamerr.Invalid, "missing path")
	}
	if req.Type != "file" {
		return iamerr.New(iamerr.Invalid, "unknown backend type: %q", req.Type)
	}
	file := req.Options["file_path"]
	if file == "" {
		return iamerr.New(iamerr.Invalid, "file_path is required")
	}
	if file != "stdout" && file != "discard" {
		fh, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return iamerr.New(iamerr.Invalid, "sanity check failed; unable to open %q for writing: %v", file, err)
		}
		fh.Close()
	}
	opts := map[string]string{}
	for k, v := range req.Options {
		opts[k] = v
	}
	_, err := n.apply(ctx, fsm.CmdEnableAuditDevice, fsm.EnableAuditDevice{Device: fsm.AuditDevice{
		Path: path + "/", Type: req.Type, Description: req.Description, Options: opts, Local: req.Local,
	}})
	return err
}

// DisableAuditDevice removes a device.
func (n *Node) DisableAuditDevice(ctx context.Context, path string) error {
	_, err := n.apply(ctx, fsm.CmdDisableAudit, fsm.DisableAuditDevice{Path: strings.Trim(path, "/") + "/"})
	return err
}

// AuditDevices lists the devices.
func (n *Node) AuditDevices() []*fsm.AuditDevice { return n.fsm.State().AuditDevices() }

// ParseAuditTime reads a filter bound: RFC 3339 or Unix seconds.
func ParseAuditTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, iamerr.New(iamerr.Invalid, "invalid time %q: use RFC 3339 or Unix seconds", s)
	}
	return time.Unix(secs, 0).UTC(), nil
}
