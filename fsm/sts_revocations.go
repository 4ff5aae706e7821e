package fsm

import (
	"time"
)

// Session revocation (commands 420-429). STS sessions are sealed tokens
// that no table lists (server/sts_token.go): issuing one writes nothing.
// Revoking them writes one row per principal: every session of that user,
// role or account root issued before RevokedBefore fails authentication on
// every node once the row is applied.
const (
	CmdRevokeSessions CommandType = 420
)

// SessionRevocation is the "revoked before" time of one principal's
// sessions. PrincipalID is a UserID, a RoleID, or the account ID for the
// root.
type SessionRevocation struct {
	PrincipalID   string
	AccountID     string
	RevokedBefore time.Time
}

const tableSessionRevocations = "sts_session_revocations"

func init() {
	registerKeyedTable[SessionRevocation](tableSessionRevocations, "PrincipalID")
	register(CmdRevokeSessions, "revoke-sessions", applyRevokeSessions)
}

// RevokeSessions ends the sessions of a user (PrincipalType EntityUser),
// role (EntityRole) or the root ("root", PrincipalID = AccountID) issued
// before Before. The time only moves forward.
type RevokeSessions struct {
	AccountID     string
	PrincipalType string
	PrincipalID   string
	Name          string
	Before        time.Time
}

func applyRevokeSessions(tx *txn, env Env, cmd *RevokeSessions) (any, error) {
	switch cmd.PrincipalType {
	case EntityUser:
		if userByID(tx, cmd.AccountID, cmd.PrincipalID) == nil {
			return nil, noSuchUser(cmd.Name)
		}
	case EntityRole:
		if roleByID(tx, cmd.AccountID, cmd.PrincipalID) == nil {
			return nil, NoSuchRole(cmd.Name)
		}
	default:
		cmd.PrincipalID = cmd.AccountID
	}
	rv := SessionRevocation{PrincipalID: cmd.PrincipalID, AccountID: cmd.AccountID, RevokedBefore: cmd.Before}
	if cur := first[SessionRevocation](tx, tableSessionRevocations, "id", cmd.PrincipalID); cur != nil && cur.RevokedBefore.After(cmd.Before) {
		return cur, nil
	}
	if err := insert(tx, tableSessionRevocations, &rv); err != nil {
		return nil, err
	}
	return &rv, nil
}

// SessionsRevokedBefore returns the time before which the principal's
// sessions are revoked (zero: none revoked).
func (s *State) SessionsRevokedBefore(principalID string) time.Time {
	if rv := first[SessionRevocation](s.tx, tableSessionRevocations, "id", principalID); rv != nil {
		return rv.RevokedBefore
	}
	return time.Time{}
}
