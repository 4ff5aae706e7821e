package vault

import (
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// Multi-user approval paths (spec/account-security.md §5.3):
//
//	sys/security/mua              GET; POST {enabled, contacts:[{entity_id, activities[]}]} (root only)
//	sys/approvals                 LIST
//	sys/approvals/:id             GET
//	sys/approvals/:id/approve     POST {mfa_code, method_id}
//	sys/approvals/:id/decline     POST
//
// A held request is answered 202 with data {approval_id, status: "pending"}.

func (a *API) muaRoutes() []Route {
	return []Route{
		{Pattern: "sys/security/mua", Ops: ops{server.OpRead: a.readMUA, server.OpUpdate: a.writeMUA}},
		{Pattern: "sys/approvals", Ops: ops{server.OpList: a.listApprovals}},
		// A contact's authority comes from being named, not from ACL
		// policies: these routes authenticate the token themselves and let
		// Apply check the contact (an ACL-allowed caller may read too).
		{Pattern: "sys/approvals/:id", Unauthenticated: true, Ops: ops{server.OpRead: a.readApproval}},
		{Pattern: "sys/approvals/:id/approve", Unauthenticated: true, Ops: ops{server.OpUpdate: a.decideApproval(true)}},
		{Pattern: "sys/approvals/:id/decline", Unauthenticated: true, Ops: ops{server.OpUpdate: a.decideApproval(false)}},
	}
}

// respondPending answers a request held for approval, if err is that.
func respondPending(c echo.Context, err error) (bool, error) {
	id := server.PendingApprovalID(err)
	if id == "" {
		return false, nil
	}
	return true, writeJSON(c, http.StatusAccepted, envelope{
		RequestID: requestID(c),
		Data:      map[string]any{"approval_id": id, "status": fsm.ApprovalPending},
		Warnings:  []string{iamerr.As(err).Message},
	})
}

func muaData(cfg *fsm.MUAConfig) map[string]any {
	contacts := []map[string]any{}
	enabled := false
	if cfg != nil {
		enabled = cfg.Enabled
		for _, ct := range cfg.Contacts {
			contacts = append(contacts, map[string]any{"entity_id": ct.EntityID, "activities": ct.Activities})
		}
	}
	return map[string]any{"enabled": enabled, "contacts": contacts, "activities": fsm.GuardedActivities()}
}

func (a *API) readMUA(r *Request) (*Response, error) {
	return &Response{Data: muaData(a.node.MUAConfig(""))}, nil
}

func (a *API) writeMUA(r *Request) (*Response, error) {
	enabled, err := r.Bool("enabled", true)
	if err != nil {
		return nil, err
	}
	req := server.MUAConfigRequest{Enabled: enabled}
	list, _ := r.Data["contacts"].([]any)
	if r.Has("contacts") && list == nil {
		return nil, invalidf("contacts must be a list of {entity_id, activities}")
	}
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, invalidf("contacts must be a list of {entity_id, activities}")
		}
		sub := &Request{Data: m}
		id, err := sub.String("entity_id", "")
		if err != nil {
			return nil, err
		}
		acts, err := sub.StringSlice("activities")
		if err != nil {
			return nil, err
		}
		req.Contacts = append(req.Contacts, fsm.MUAContact{EntityID: id, Activities: acts})
	}
	cfg, err := a.node.PutMUAConfig(r.Context, r.Caller, req)
	if err != nil {
		return nil, err
	}
	return &Response{Data: muaData(cfg)}, nil
}

func approvalData(ap *fsm.Approval, now time.Time) map[string]any {
	return map[string]any{
		"id": ap.ID, "activity": ap.Activity, "action": ap.Action, "target": ap.Target,
		"status": ap.StatusAt(now), "requested_by": ap.Requester.Principal, "request_id": ap.Requester.RequestID,
		"contacts": ap.Contacts, "approved_by": emptyIfNil(ap.Approved), "declined_by": ap.DeclinedBy,
		"created_at": ap.CreatedAt.Format(time.RFC3339), "deadline": ap.Deadline.Format(time.RFC3339),
		"error": ap.Error,
	}
}

func (a *API) listApprovals(r *Request) (*Response, error) {
	now := a.node.Now()
	var keys []string
	info := map[string]any{}
	for _, ap := range a.node.Approvals() {
		keys = append(keys, ap.ID)
		info[ap.ID] = map[string]any{"status": ap.StatusAt(now), "activity": ap.Activity, "target": ap.Target}
	}
	sort.Strings(keys)
	return listResponse(keys, info), nil
}

// authenticateOnly resolves the token without the ACL check.
func (a *API) authenticateOnly(r *Request) error {
	caller, err := a.node.Authenticate(r.Context, r.Token)
	if err != nil {
		return err
	}
	r.Caller = caller
	return nil
}

func (a *API) readApproval(r *Request) (*Response, error) {
	if err := a.authenticateOnly(r); err != nil {
		return nil, err
	}
	ap, err := a.node.Approval(r.Param("id"))
	if err != nil {
		return nil, err
	}
	contact := r.Caller.Token != nil && slices.Contains(ap.Contacts, r.Caller.Token.EntityID)
	if !contact && !a.node.AllowVault(r.Caller, r.Path, r.Op) {
		return nil, errPermissionDenied
	}
	return &Response{Data: approvalData(ap, a.node.Now())}, nil
}

func (a *API) decideApproval(approve bool) Handler {
	return func(r *Request) (*Response, error) {
		if err := a.authenticateOnly(r); err != nil {
			return nil, err
		}
		code, err := r.String("mfa_code", "")
		if err != nil {
			return nil, err
		}
		method, err := r.String("method_id", "")
		if err != nil {
			return nil, err
		}
		if approve && code == "" {
			return nil, invalidf("mfa_code is required to approve")
		}
		ap, err := a.node.DecideApproval(r.Context, r.Caller, r.Param("id"), approve, method, code)
		if err != nil {
			return nil, err
		}
		return &Response{Data: approvalData(ap, a.node.Now())}, nil
	}
}
