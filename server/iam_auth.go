package server

import (
	"bytes"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/sigv4"
)

// AWS request authentication (spec §2). Everything here reads the local
// state only: a key created on any node signs on every node once its
// command has been applied, and no request writes through Raft (last uses
// are batched, iam_keyuse.go).

// openSecret is a decrypted secret, valid while its row's ciphertext is the
// one it was opened from (a key deleted and re-created under the same ID
// has another).
type openSecret struct {
	sealed []byte
	secret string
}

// secretCache holds decrypted secrets by access key ID so that the hot path
// runs no AES-GCM. A secret in memory is no more exposed than the signing
// keys sigv4.KeyCache holds for it; entries of deleted keys are dropped by
// the key-use flush loop.
//
// Bound: only keys that exist in the state are ever opened (an unknown or
// random key ID fails before secretOf), and at most SecretCacheSize
// secrets are kept. Policy: when an insert finds the cache full, it drops
// an arbitrary eighth of the entries (sync.Map's range order) so reads
// stay lock-free; a dropped secret is opened again (one AES-GCM) on its
// next use.
type secretCache struct {
	m sync.Map // access key ID -> *openSecret
	n atomic.Int64
}

// SecretCacheSize caps the opened-secrets cache (a variable for tests).
var SecretCacheSize = 65536

func (c *secretCache) load(id string) (*openSecret, bool) {
	v, ok := c.m.Load(id)
	if !ok {
		return nil, false
	}
	return v.(*openSecret), true
}

func (c *secretCache) store(id string, o *openSecret) {
	if c.n.Load() >= int64(SecretCacheSize) {
		drop := SecretCacheSize/8 + 1
		c.m.Range(func(k, _ any) bool {
			c.remove(k.(string))
			drop--
			return drop > 0
		})
	}
	if _, loaded := c.m.Swap(id, o); !loaded {
		c.n.Add(1)
	}
}

func (c *secretCache) remove(id string) {
	if _, loaded := c.m.LoadAndDelete(id); loaded {
		c.n.Add(-1)
	}
}

func (c *secretCache) len() int { return int(c.n.Load()) }

func invalidClientToken() error {
	return iamerr.WithCode(iamerr.Unauthorized, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

func expiredToken() error {
	return iamerr.WithCode(iamerr.Unauthorized, "ExpiredToken", "The security token included in the request is expired")
}

// AuthenticateAWS verifies the SigV4 signature of r (body is its raw body,
// already read) and returns the caller. service is the scope the action
// requires ("iam" or "sts"); "" (an unknown or missing action) accepts
// either, as the client scoped it, so that the action error comes after
// authentication.
//
// Errors are *sigv4.Error (MissingAuthenticationToken, IncompleteSignature,
// SignatureDoesNotMatch, RequestExpired) or iamerr with AWS codes
// (InvalidClientTokenId for an unknown or inactive key or user, ExpiredToken
// for an expired service account).
//
// The account's API access rules then decide whether the request is
// admitted at all (access_rules.go).
func (n *Node) AuthenticateAWS(r *http.Request, body []byte, service string) (*AWSCaller, error) {
	if err := n.awaitCatchUp(r.Context()); err != nil {
		return nil, err
	}
	st := n.State() // one read transaction for the key, its lock and the access rules
	c, err := n.authenticateAWS(st, r, body, service)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if connInfoFrom(ctx) == nil {
		ctx = WithConnInfo(ctx, r)
	}
	c.TrustedSessionOnly, err = n.admitRequest(ctx, st, c.AccountID, c.Session != nil && c.Session.Trusted)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (n *Node) authenticateAWS(st *fsm.State, r *http.Request, body []byte, service string) (*AWSCaller, error) {
	s, err := sigv4.Parse(r, body)
	if err != nil {
		return nil, err
	}
	if service == "" {
		service = "iam"
		if s.Service == "sts" {
			service = "sts"
		}
	}
	if service, err = s.ScopeService(service); err != nil { // OSC4 on OAPI only
		return nil, err
	}
	if s.SecurityToken != "" && isSessionKeyID(s.AccessKeyID) {
		return n.authenticateSession(r, s, service) // sts_auth.go
	}
	k := st.AccessKey(s.AccessKeyID)
	// Long-term keys carry no session token (spec §2.2 Token).
	if k == nil || k.Status != "Active" || s.SecurityToken != "" {
		return nil, invalidClientToken()
	}
	now := n.now()
	c, err := callerForKey(st, k, now)
	if err != nil {
		return nil, err
	}
	secret, err := n.secretOf(k)
	if err != nil {
		return nil, err
	}
	failures := st.SigFailures(k.AccessKeyID)
	if err := checkKeyLock(k.AccessKeyID, failures, now); err != nil { // sig_lockout.go
		return nil, err
	}
	if err := n.iam.keys().Verify(s, secret, service, now); err != nil {
		n.noteSigFailure(r.Context(), k.AccessKeyID, err, now)
		return nil, err
	}
	if failures != nil {
		n.resetSigFailures(r.Context(), k.AccessKeyID, now)
	}
	if k.Expired(now) {
		return nil, expiredKey(k)
	}
	n.recordKeyUse(k.AccessKeyID, now, service, s.Region)
	c.AccessKeyID = k.AccessKeyID
	c.Time = now
	c.Region = s.Region
	c.SecureTransport = r.TLS != nil
	c.SourceIP = r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.SourceIP = host
	}
	NotePrincipal(r.Context(), c.Arn, c.AccountID) // audit entries name the caller (audit.go)
	return c, nil
}

// callerForKey decides who signs with k: the account root, a user, or a
// service account acting for its parent user. A user set Inactive
// (SetUserStatus) or gone, and a disabled or expired service account, make
// the key fail.
func callerForKey(st *fsm.State, k *fsm.AccessKey, now time.Time) (*AWSCaller, error) {
	if k.UserID == "" {
		return &AWSCaller{AccountID: k.AccountID, Type: PrincipalRoot, Arn: RootArn(k.AccountID), UserID: k.AccountID}, nil
	}
	u := st.IAMUserByID(k.UserID)
	if u == nil || u.Inactive || u.AccountID != k.AccountID {
		return nil, invalidClientToken()
	}
	c := &AWSCaller{AccountID: k.AccountID, Type: PrincipalUser, Arn: UserArn(u), UserID: u.UserID, User: u,
		S4Role: k.S4Role}
	if k.ServiceAccountID == "" {
		return c, nil
	}
	sa := st.ServiceAccount(k.ServiceAccountID)
	if sa == nil || sa.Status != "Active" {
		return nil, invalidClientToken()
	}
	if sa.Expired(now) {
		return nil, expiredToken()
	}
	c.Type, c.ServiceAccount = PrincipalServiceAccount, sa
	return c, nil
}

// secretOf returns k's secret, opening it with the keyring on first use.
func (n *Node) secretOf(k *fsm.AccessKey) (string, error) {
	if o, ok := n.iam.secrets.load(k.AccessKeyID); ok && bytes.Equal(o.sealed, k.SecretCiphertext) {
		return o.secret, nil
	}
	kr, err := n.requireKeyring()
	if err != nil {
		return "", err
	}
	plain, err := kr.Open(k.SecretCiphertext, k.AccessKeyID)
	if err != nil {
		// A secret this node cannot open is a keyring mismatch, not the
		// client's fault; say so in the log, never the secret.
		n.log.Error("cannot open access key secret", "access_key_id", k.AccessKeyID, "error", err)
		return "", iamerr.New(iamerr.Internal, "cannot verify the request's signature")
	}
	o := &openSecret{sealed: k.SecretCiphertext, secret: string(plain)}
	n.iam.secrets.store(k.AccessKeyID, o)
	return o.secret, nil
}
