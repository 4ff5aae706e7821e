package server

import (
	"net"
	"net/http"
	"time"

	"iamd/fsm"
	"iamd/server/sigv4"
)

// Authentication of STS session credentials (ASIA key + session token);
// the token format and the revocation design are in sts_token.go.

// SessionInfo describes the STS session a caller signs with.
type SessionInfo struct {
	Kind       string // user | root | role
	Name       string // RoleSessionName (role sessions)
	IssuedAt   time.Time
	Expiration time.Time
	// Policy and PolicyArns narrow a role session (AssumeRole Policy,
	// PolicyArns); empty: the role's policies alone.
	Policy     string
	PolicyArns []string
	AccessKey  string
	Trusted    bool // opened with an admitted client certificate
	// Tags are the session tags (aws:PrincipalTag, over the role's own);
	// TransitiveKeys the lower-case keys that pass on in a role chain.
	Tags           []fsm.Tag
	TransitiveKeys []string
}

// authenticateSession verifies a request signed with session credentials:
// the token must open with this cluster's keyring and name the signing
// key, the signature must verify with the secret it carries, the session
// must not be expired (ExpiredToken) and its principal must still be valid
// and not revoked since (InvalidClientTokenId).
func (n *Node) authenticateSession(r *http.Request, s *sigv4.Signed, service string) (*AWSCaller, error) {
	cl, err := n.openSession(s.SecurityToken, s.AccessKeyID)
	if err != nil {
		return nil, err
	}
	now := n.now()
	// openSession checked that the token names s.AccessKeyID, so the cache
	// entry (and its hashed HMAC pads) is this session key's.
	if err := n.iam.keys().Verify(s, cl.Secret, service, now); err != nil {
		return nil, err
	}
	if now.UnixNano() >= cl.Expires {
		return nil, expiredToken()
	}
	c, err := n.sessionCaller(cl)
	if err != nil {
		return nil, err
	}
	c.AccessKeyID = cl.AccessKeyID
	c.Time = now
	c.Region = s.Region
	c.SecureTransport = r.TLS != nil
	c.SourceIP = r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.SourceIP = host
	}
	NotePrincipal(r.Context(), c.Arn, c.AccountID)
	return c, nil
}

// sessionCaller rebuilds the caller a session stands for from the local
// state: a user that is gone or inactive, a role that is gone (or was
// re-created: another RoleID), or a revocation after the session was
// issued, ends it.
func (n *Node) sessionCaller(cl *sessionClaims) (*AWSCaller, error) {
	st := n.State()
	issued := time.Unix(0, cl.Issued)
	if rb := st.SessionsRevokedBefore(cl.PrincipalID); !rb.IsZero() && issued.Before(rb) {
		return nil, invalidClientToken()
	}
	info := &SessionInfo{Kind: cl.Kind, Name: cl.SessionName, IssuedAt: issued, Expiration: time.Unix(0, cl.Expires),
		Policy: cl.Policy, PolicyArns: cl.PolicyArns, AccessKey: cl.AccessKeyID, Trusted: cl.Trusted,
		Tags: cl.Tags, TransitiveKeys: cl.Transitive}
	mfa := &MFAContext{Present: cl.MFA}
	if cl.MFA {
		mfa.AuthTime = time.Unix(0, cl.MFATime)
	}
	var c *AWSCaller
	switch cl.Kind {
	case sessionRoot:
		if st.Account(cl.AccountID) == nil {
			return nil, invalidClientToken()
		}
		c = &AWSCaller{AccountID: cl.AccountID, Type: PrincipalRoot, Arn: RootArn(cl.AccountID), UserID: cl.AccountID}
	case sessionUser:
		u := st.IAMUserByID(cl.PrincipalID)
		if u == nil || u.Inactive || u.AccountID != cl.AccountID {
			return nil, invalidClientToken()
		}
		c = &AWSCaller{AccountID: cl.AccountID, Type: PrincipalUser, Arn: UserArn(u), UserID: u.UserID, User: u}
	case sessionRole:
		role := st.IAMRoleByID(cl.PrincipalID)
		if role == nil || role.AccountID != cl.AccountID {
			return nil, invalidClientToken()
		}
		c = &AWSCaller{AccountID: cl.AccountID, Type: PrincipalAssumedRole, Arn: AssumedRoleArn(role, cl.SessionName),
			UserID: role.RoleID + ":" + cl.SessionName, Role: role}
	default:
		return nil, invalidClientToken()
	}
	c.MFA, c.Session = mfa, info
	return c, nil
}

// AssumedRoleArn is a role session's ARN (no path, spec §3.1).
func AssumedRoleArn(r *fsm.IAMRole, session string) string {
	return "arn:aws:sts::" + r.AccountID + ":assumed-role/" + r.RoleName + "/" + session
}

// isSessionKeyID reports whether akid has the form of a session key.
func isSessionKeyID(akid string) bool { return len(akid) == 20 && akid[:4] == "ASIA" }
