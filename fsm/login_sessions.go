package fsm

import (
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Login sessions: the tokens issued by interactive logins (any auth method
// except the token store), which the account's session settings govern.
// A session row is added when such a token is issued, by the audit
// envelope's after-apply step, so it needs no change in the login code.
//
// Idle timeout: a session's LastUsed here is coarse. Each node tracks uses
// in memory and flushes a token's last use through CmdTouchLoginSessions at
// most once per flush interval (server/sessions.go); a node may therefore
// see a use up to that interval late, and the idle timeout can take effect
// that much early on a node that did not serve the last request.

// LoginSession is one live login token.
type LoginSession struct {
	Accessor  string
	Key       string // the user: entity ID, else the login path
	AccountID string
	IssuedAt  time.Time
	LastUsed  time.Time // last use flushed through Raft
}

const tableLoginSessions = "login_sessions"

const CmdTouchLoginSessions CommandType = 505

func init() {
	registerTable[LoginSession](&memdb.TableSchema{
		Name: tableLoginSessions,
		Indexes: map[string]*memdb.IndexSchema{
			"id":  idIndex("Accessor"),
			"key": plainIndex("key", "Key"),
		},
	})
	register(CmdTouchLoginSessions, "touch-login-sessions", applyTouchLoginSessions)
}

// IsLoginToken reports whether t was issued by a login (auth/<mount>/...,
// not auth/token/...).
func IsLoginToken(t *Token) bool {
	return strings.HasPrefix(t.Path, "auth/") && !strings.HasPrefix(t.Path, "auth/token/")
}

// sessionKey names the user behind a login token.
func sessionKey(t *Token) string {
	if t.EntityID != "" {
		return "entity:" + t.EntityID
	}
	return "path:" + t.Path
}

// issuedToken finds a token a command's result carries: the result itself
// (CreateToken) or a field "Token *Token" of the result struct (a login
// outcome). Looking by shape keeps the login code unaware of sessions.
func issuedToken(value any) *Token {
	if t, ok := value.(*Token); ok {
		return t
	}
	v := reflect.ValueOf(value)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("Token")
	if !f.IsValid() {
		return nil
	}
	t, _ := f.Interface().(*Token)
	return t
}

// recordLoginSession registers a login token just issued and, when the
// account prevents concurrent sessions, revokes the user's earlier ones.
func recordLoginSession(tx *txn, meta AuditMeta, value any) error {
	t := issuedToken(value)
	if t == nil || !IsLoginToken(t) || first[Token](tx, tableTokens, "accessor", t.Accessor) == nil {
		return nil
	}
	acct := orDefaultAccount(tx, meta.AccountID)
	key := sessionKey(t)
	if accountSecurity(tx, acct).PreventConcurrentSessions {
		for _, s := range all[LoginSession](tx, tableLoginSessions, "key", key) {
			if old := first[Token](tx, tableTokens, "accessor", s.Accessor); old != nil {
				if err := revokeTree(tx, old, false); err != nil {
					return err
				}
			}
			if err := tx.Delete(tableLoginSessions, s); err != nil {
				return err
			}
		}
	}
	return insert(tx, tableLoginSessions, &LoginSession{
		Accessor: t.Accessor, Key: key, AccountID: acct, IssuedAt: t.IssueTime, LastUsed: t.IssueTime,
	})
}

// TouchLoginSessions records the last uses a node has seen; rows whose
// token is gone are dropped on the way.
type TouchLoginSessions struct {
	Uses map[string]time.Time // accessor -> last use
}

func applyTouchLoginSessions(tx *txn, env Env, cmd *TouchLoginSessions) (any, error) {
	for accessor, used := range cmd.Uses {
		s := first[LoginSession](tx, tableLoginSessions, "id", accessor)
		if s == nil {
			continue
		}
		if first[Token](tx, tableTokens, "accessor", accessor) == nil {
			if err := tx.Delete(tableLoginSessions, s); err != nil {
				return nil, err
			}
			continue
		}
		if used.After(s.LastUsed) {
			c := *s
			c.LastUsed = used
			if err := insert(tx, tableLoginSessions, &c); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// LoginSession returns the session of a login token, nil for other tokens.
func (s *State) LoginSession(accessor string) *LoginSession {
	return first[LoginSession](s.tx, tableLoginSessions, "id", accessor)
}
