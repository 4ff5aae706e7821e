package fsm

import (
	"time"

	"iamd/iamerr"
)

// Per-account security settings (spec/account-security.md §5.3, Wasabi's
// console settings): the administrative-logging switch and the session
// settings of interactive logins. An account without a row has the
// defaults: logging on, 60-minute idle timeout, concurrent sessions allowed.

// Session timeout bounds, in minutes.
const (
	MinSessionTimeoutMinutes     = 15
	MaxSessionTimeoutMinutes     = 120
	DefaultSessionTimeoutMinutes = 60
)

// AccountSecurity is one account's settings.
type AccountSecurity struct {
	AccountID string
	// AuditDisabled is the negative so that the zero value means "on".
	AuditDisabled             bool
	SessionTimeoutMinutes     int // 0: the default
	PreventConcurrentSessions bool
}

// AuditEnabled reports whether the account's actions are logged.
func (a *AccountSecurity) AuditEnabled() bool { return !a.AuditDisabled }

// SessionTimeout is the idle timeout of the account's login tokens.
func (a *AccountSecurity) SessionTimeout() time.Duration {
	m := a.SessionTimeoutMinutes
	if m == 0 {
		m = DefaultSessionTimeoutMinutes
	}
	return time.Duration(m) * time.Minute
}

const tableAccountSecurity = "account_security"

const (
	CmdPutAccountSecurity CommandType = 504
)

func init() {
	registerKeyedTable[AccountSecurity](tableAccountSecurity, "AccountID")
	register(CmdPutAccountSecurity, "put-account-security", applyPutAccountSecurity)
}

// PutAccountSecurity changes the fields that are set. It is always audited,
// even when it turns logging off, so the switch itself is in the log.
type PutAccountSecurity struct {
	AccountID                 string
	AuditEnabled              *bool
	SessionTimeoutMinutes     *int
	PreventConcurrentSessions *bool
}

// ValidSessionTimeout checks a timeout in minutes against its bounds.
func ValidSessionTimeout(m int) error {
	if m < MinSessionTimeoutMinutes || m > MaxSessionTimeoutMinutes {
		return iamerr.New(iamerr.Invalid, "console_session_timeout_minutes must be between %d and %d, got %d",
			MinSessionTimeoutMinutes, MaxSessionTimeoutMinutes, m)
	}
	return nil
}

func applyPutAccountSecurity(tx *txn, env Env, cmd *PutAccountSecurity) (any, error) {
	acct := orDefaultAccount(tx, cmd.AccountID)
	if first[Account](tx, tableAccounts, "id", acct) == nil {
		return nil, iamerr.New(iamerr.NotFound, "no account %q", acct)
	}
	s := *accountSecurity(tx, acct)
	if cmd.AuditEnabled != nil {
		s.AuditDisabled = !*cmd.AuditEnabled
	}
	if cmd.SessionTimeoutMinutes != nil {
		if err := ValidSessionTimeout(*cmd.SessionTimeoutMinutes); err != nil {
			return nil, err
		}
		s.SessionTimeoutMinutes = *cmd.SessionTimeoutMinutes
	}
	if cmd.PreventConcurrentSessions != nil {
		s.PreventConcurrentSessions = *cmd.PreventConcurrentSessions
	}
	if err := insert(tx, tableAccountSecurity, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// accountSecurity returns the account's settings or the defaults.
func accountSecurity(tx *txn, acct string) *AccountSecurity {
	if s := first[AccountSecurity](tx, tableAccountSecurity, "id", acct); s != nil {
		return s
	}
	return &AccountSecurity{AccountID: acct}
}

// defaultAccountID is the account of requests that name none (the Vault
// dialect): iamd starts with one account, the lowest ID if there are more.
func defaultAccountID(tx *txn) string {
	if a := first[Account](tx, tableAccounts, "id"); a != nil {
		return a.ID
	}
	return ""
}

// orDefaultAccount is acct, or the default account when acct is "".
func orDefaultAccount(tx *txn, acct string) string {
	if acct == "" {
		return defaultAccountID(tx)
	}
	return acct
}

// AccountSecurity returns an account's settings ("" = the default account).
func (s *State) AccountSecurity(acct string) *AccountSecurity {
	acct = orDefaultAccount(s.tx, acct)
	return accountSecurity(s.tx, acct)
}

// DefaultAccountID is the account of Vault-dialect requests.
func (s *State) DefaultAccountID() string { return defaultAccountID(s.tx) }
