package vault

import (
	"iamd/fsm"
	"iamd/server"
)

// Session settings (spec/account-security.md §5.3, Wasabi console
// settings): sys/security/settings, also at sys/account/security.
//
//	GET  -> {account_id, console_session_timeout_minutes,
//	         prevent_concurrent_console_sessions, admin_logging_enabled}
//	POST {console_session_timeout_minutes (15..120), prevent_concurrent_console_sessions}

func (a *API) securityRoutes() []Route {
	settings := ops{server.OpRead: a.readSecuritySettings, server.OpUpdate: a.writeSecuritySettings}
	return append([]Route{
		{Pattern: "sys/security/settings", Ops: settings},
		{Pattern: "sys/account/security", Ops: settings},
	}, append(append(a.muaRoutes(), a.passwordPolicyRoutes()...), a.apiAccessRoutes()...)...)
}

func securitySettingsData(s *fsm.AccountSecurity) map[string]any {
	return map[string]any{
		"account_id":                          s.AccountID,
		"console_session_timeout_minutes":     int(s.SessionTimeout().Minutes()),
		"prevent_concurrent_console_sessions": s.PreventConcurrentSessions,
		"admin_logging_enabled":               s.AuditEnabled(),
	}
}

func (a *API) readSecuritySettings(r *Request) (*Response, error) {
	acct, err := r.String("account_id", "")
	if err != nil {
		return nil, err
	}
	return &Response{Data: securitySettingsData(a.node.AccountSecurity(acct))}, nil
}

func (a *API) writeSecuritySettings(r *Request) (*Response, error) {
	var req server.AccountSecurityRequest
	var err error
	if req.AccountID, err = r.String("account_id", ""); err != nil {
		return nil, err
	}
	if r.Has("console_session_timeout_minutes") {
		m, err := r.Int("console_session_timeout_minutes", 0)
		if err != nil {
			return nil, err
		}
		req.SessionTimeoutMinutes = &m
	}
	if r.Has("prevent_concurrent_console_sessions") {
		b, err := r.Bool("prevent_concurrent_console_sessions", false)
		if err != nil {
			return nil, err
		}
		req.PreventConcurrentSessions = &b
	}
	if req.SessionTimeoutMinutes == nil && req.PreventConcurrentSessions == nil {
		return nil, invalidf("nothing to update: set console_session_timeout_minutes or prevent_concurrent_console_sessions")
	}
	s, err := a.node.UpdateAccountSecurity(r.Context, req)
	if err != nil {
		return nil, err
	}
	return &Response{Data: securitySettingsData(s)}, nil
}
