package vault

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"iamd/fsm"
	"iamd/server"
)

// Administrative audit log paths (spec/account-security.md §5.3):
//
//	sys/audit            GET: list devices (Vault's shape)
//	sys/audit/:path      PUT {type, description, options{file_path}, local}; DELETE
//	sys/audit-hash/:path POST {input} -> {hash}: the HMAC an entry would show
//	sys/audit-log        GET ?since&until&principal&action&after&limit
//	sys/security/admin-log/config  GET/POST {enabled}: the per-account switch

// RegisterSecurity adds the account-security paths to a registered API.
func RegisterSecurity(a *API) {
	for _, rt := range append(a.auditRoutes(), a.securityRoutes()...) {
		a.Add(rt)
	}
}

// RequestID is the id for the request c serves, for package api to put in
// its context: the one an answer already reported, if any, or a new one.
func RequestID(c echo.Context) string {
	if id, ok := c.Get(requestIDKey).(string); ok {
		return id
	}
	return server.NewRequestID()
}

func (a *API) auditRoutes() []Route {
	return []Route{
		{Pattern: "sys/audit", InjectTopLevel: true, Ops: ops{server.OpRead: a.listAudit}},
		{Pattern: "sys/audit/*", Ops: ops{server.OpUpdate: a.enableAudit, server.OpDelete: a.disableAudit}},
		{Pattern: "sys/audit-hash/*", Ops: ops{server.OpUpdate: a.auditHash}},
		{Pattern: "sys/audit-log", Ops: ops{server.OpRead: a.readAuditLog}},
		{Pattern: "sys/security/admin-log/config", Ops: ops{
			server.OpRead: a.readAdminLogConfig, server.OpUpdate: a.writeAdminLogConfig,
		}},
	}
}

func (a *API) listAudit(r *Request) (*Response, error) {
	data := map[string]any{}
	for _, d := range a.node.AuditDevices() {
		data[d.Path] = map[string]any{
			"type": d.Type, "description": d.Description, "options": d.Options, "local": d.Local, "path": d.Path,
		}
	}
	return &Response{Data: data}, nil
}

func (a *API) enableAudit(r *Request) (*Response, error) {
	req := server.AuditDeviceRequest{Path: r.Param("*")}
	var err error
	if req.Type, err = r.String("type", ""); err != nil {
		return nil, err
	}
	if req.Description, err = r.String("description", ""); err != nil {
		return nil, err
	}
	if req.Options, err = r.StringMap("options"); err != nil {
		return nil, err
	}
	if req.Local, err = r.Bool("local", false); err != nil {
		return nil, err
	}
	return nil, a.node.EnableAuditDevice(r.Context, req)
}

func (a *API) disableAudit(r *Request) (*Response, error) {
	return nil, a.node.DisableAuditDevice(r.Context, r.Param("*"))
}

func (a *API) auditHash(r *Request) (*Response, error) {
	in, err := r.String("input", "")
	if err != nil {
		return nil, err
	}
	return &Response{Data: map[string]any{"hash": a.node.AuditHMAC(in)}}, nil
}

// Paging: entries come in Seq order; "after" is the last seq the client
// has, "limit" at most 1000 (default 100); next_after is set while more
// entries match.
func (a *API) readAuditLog(r *Request) (*Response, error) {
	var f fsm.AuditFilter
	var err error
	str := func(k string) string { s, _ := r.String(k, ""); return s }
	if f.Since, err = server.ParseAuditTime(str("since")); err != nil {
		return nil, err
	}
	if f.Until, err = server.ParseAuditTime(str("until")); err != nil {
		return nil, err
	}
	f.Principal, f.Action, f.AccountID = str("principal"), str("action"), str("account_id")
	if s := str("after"); s != "" {
		if f.After, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, invalidf("after must be an entry sequence number")
		}
	}
	if f.Limit, err = r.Int("limit", 100); err != nil {
		return nil, err
	}
	if f.Limit < 1 || f.Limit > 1000 {
		return nil, invalidf("limit must be between 1 and 1000")
	}
	entries, more, head := a.node.AuditLog(f)
	if entries == nil {
		entries = []*fsm.AuditEntry{}
	}
	data := map[string]any{
		"entries": entries, "head_seq": head.Seq, "head_hash": head.Hash, "retention": fsm.AuditRetention,
	}
	if more {
		data["next_after"] = strconv.FormatUint(entries[len(entries)-1].Seq, 10)
	}
	return &Response{Data: data}, nil
}

func (a *API) readAdminLogConfig(r *Request) (*Response, error) {
	acct, _ := r.String("account_id", "")
	s := a.node.AccountSecurity(acct)
	return &Response{Data: map[string]any{"account_id": s.AccountID, "enabled": s.AuditEnabled()}}, nil
}

func (a *API) writeAdminLogConfig(r *Request) (*Response, error) {
	if !r.Has("enabled") {
		return nil, invalidf("enabled is required")
	}
	on, err := r.Bool("enabled", true)
	if err != nil {
		return nil, err
	}
	acct, err := r.String("account_id", "")
	if err != nil {
		return nil, err
	}
	s, err := a.node.UpdateAccountSecurity(r.Context, server.AccountSecurityRequest{AccountID: strings.TrimSpace(acct), AuditEnabled: &on})
	if err != nil {
		return nil, err
	}
	return &Response{Data: map[string]any{"account_id": s.AccountID, "enabled": s.AuditEnabled()}}, nil
}
