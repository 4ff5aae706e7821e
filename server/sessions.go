package server

import (
	"context"
	"sync"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
)

// Session settings of interactive logins (fsm/account_security.go,
// fsm/login_sessions.go): the idle timeout is checked on every
// authentication without a Raft write per request. Each node remembers
// the last use of each login token in memory and replicates it coarsely: a
// token's use is flushed through Raft only when the replicated last use is
// older than SessionFlushInterval. Another node therefore sees a use at
// most that late, and may end an idle session up to SessionFlushInterval
// before the full timeout (1 minute of 15 or more); a restarted node falls
// back to the replicated value. The tradeoff buys reads without writes.

// SessionFlushInterval bounds how stale another node's view of a login
// token's last use can be.
var SessionFlushInterval = time.Minute

// sessionTracker is one node's in-memory view of login token uses.
type sessionTracker struct {
	mu       sync.Mutex
	lastUse  map[string]time.Time // accessor -> last use seen here
	flushing map[string]bool
}

// trackers holds each node's tracker. It lives beside Node rather than in
// it so that the session code stays in this file.
var trackers sync.Map // *Node -> *sessionTracker

func (n *Node) sessions() *sessionTracker {
	if t, ok := trackers.Load(n); ok {
		return t.(*sessionTracker)
	}
	t, _ := trackers.LoadOrStore(n, &sessionTracker{lastUse: map[string]time.Time{}, flushing: map[string]bool{}})
	return t.(*sessionTracker)
}

// checkSession enforces the idle timeout of a login token and records the
// use. Tokens that are not login tokens pass untouched.
func (n *Node) checkSession(st *fsm.State, t *fsm.Token, now time.Time) error {
	s := st.LoginSession(t.Accessor)
	if s == nil {
		return nil
	}
	timeout := st.AccountSecurity(s.AccountID).SessionTimeout()
	tr := n.sessions()
	tr.mu.Lock()
	last := s.LastUsed
	if local := tr.lastUse[t.Accessor]; local.After(last) {
		last = local
	}
	if now.Sub(last) > timeout {
		delete(tr.lastUse, t.Accessor)
		tr.mu.Unlock()
		return errInvalidToken()
	}
	tr.lastUse[t.Accessor] = now
	flush := now.Sub(s.LastUsed) >= SessionFlushInterval && !tr.flushing[t.Accessor]
	if flush {
		tr.flushing[t.Accessor] = true
	}
	tr.mu.Unlock()
	if flush {
		go n.flushSessionUse(t.Accessor, now)
	}
	return nil
}

// flushSessionUse replicates one token's last use, off the request path.
func (n *Node) flushSessionUse(accessor string, used time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), n.applyTimeout)
	defer cancel()
	_, err := n.apply(ctx, fsm.CmdTouchLoginSessions, fsm.TouchLoginSessions{Uses: map[string]time.Time{accessor: used}})
	if err != nil && !iamerr.Is(err, iamerr.Unavailable) {
		n.log.Debug("session last-use flush failed", "error", err)
	}
	tr := n.sessions()
	tr.mu.Lock()
	delete(tr.flushing, accessor)
	tr.mu.Unlock()
}

// AccountSecurity returns the settings of an account ("" = default).
func (n *Node) AccountSecurity(accountID string) *fsm.AccountSecurity {
	return n.fsm.State().AccountSecurity(accountID)
}

// AccountSecurityRequest changes the fields that are set.
type AccountSecurityRequest struct {
	AccountID                 string
	AuditEnabled              *bool
	SessionTimeoutMinutes     *int
	PreventConcurrentSessions *bool
}

// UpdateAccountSecurity validates and stores account settings.
func (n *Node) UpdateAccountSecurity(ctx context.Context, req AccountSecurityRequest) (*fsm.AccountSecurity, error) {
	if req.SessionTimeoutMinutes != nil {
		if err := fsm.ValidSessionTimeout(*req.SessionTimeoutMinutes); err != nil {
			return nil, err
		}
	}
	return applyAs[*fsm.AccountSecurity](ctx, n, fsm.CmdPutAccountSecurity, fsm.PutAccountSecurity{
		AccountID: req.AccountID, AuditEnabled: req.AuditEnabled,
		SessionTimeoutMinutes: req.SessionTimeoutMinutes, PreventConcurrentSessions: req.PreventConcurrentSessions,
	})
}
