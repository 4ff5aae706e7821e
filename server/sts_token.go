package server

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
)

// STS session tokens (spec/aws-iam.md §2.3, §5.1).
//
// Choice: a session token is self-contained and sealed. Issuing one writes
// nothing through Raft: the token is the JSON of sessionClaims sealed with
// the keyring's AES-256-GCM key (the key every node of the cluster holds,
// never in the log or snapshots) under its own associated data, then
// base64. Any node opens it, checks that it names the access key ID that
// signed the request, takes the session's secret from it to verify the
// SigV4 signature, and checks Expiration against its own clock. Forging or
// altering a token needs the keyring; reading one reveals nothing (it is
// encrypted, not only MACed, because it carries the secret).
//
// Revocation is replicated state, not a list of tokens: the principal a
// session belongs to must still be valid on the verifying node (the user
// exists and is active, the role exists with the same RoleID, so a role
// deleted and re-created under its name does not revive old sessions), and
// fsm.SessionRevocation holds a per-principal "revoked before" time:
// sessions issued before it fail with InvalidClientTokenId on every node
// once that one command is applied (RevokeSessions).
//
// The price: a session cannot be revoked individually (only all sessions
// of a principal up to now), and a keyring change would end every session
// (iamd has no keyring rotation yet).

const sessionTokenAAD = "sts/session/v1"

// Session kinds.
const (
	sessionUser = "user" // GetSessionToken by an IAM user
	sessionRoot = "root" // GetSessionToken by the account root
	sessionRole = "role" // AssumeRole
)

// sessionClaims is what a session token carries. Times are Unix
// nanoseconds so that a revocation in the same second as an issuance is
// ordered exactly.
type sessionClaims struct {
	AccessKeyID    string   `json:"k"`
	Secret         string   `json:"s"`
	AccountID      string   `json:"a"`
	Kind           string   `json:"t"`
	PrincipalID    string   `json:"p"` // UserID, RoleID or the account ID (root)
	SessionName    string   `json:"n,omitempty"`
	Issued         int64    `json:"i"`
	Expires        int64    `json:"e"`
	MFA            bool     `json:"m,omitempty"`
	MFATime        int64    `json:"mt,omitempty"`
	Policy         string   `json:"pol,omitempty"`
	PolicyArns     []string `json:"pa,omitempty"`
	SourceIdentity string   `json:"si,omitempty"`
	// Tags are the session tags, inherited ones included; Transitive the
	// lower-case keys of those that pass on (sts_tags.go).
	Tags       []fsm.Tag `json:"tg,omitempty"`
	Transitive []string  `json:"tt,omitempty"`
	// Trusted marks a session opened with a client certificate that the
	// API access rules admit (OUTSCALE trusted session, access_rules.go).
	Trusted bool `json:"tr,omitempty"`
}

// Credentials are temporary credentials as STS returns them.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// issueSession seals claims into a new session's credentials.
func (n *Node) issueSession(cl sessionClaims) (*Credentials, error) {
	kr, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	cl.AccessKeyID, cl.Secret = newAccessKeyID("ASIA"), newSecretAccessKey()
	plain, err := json.Marshal(cl)
	if err != nil {
		return nil, iamerr.New(iamerr.Internal, "encode session: %v", err)
	}
	token := base64.StdEncoding.EncodeToString(kr.Seal(plain, sessionTokenAAD))
	return &Credentials{AccessKeyID: cl.AccessKeyID, SecretAccessKey: cl.Secret, SessionToken: token,
		Expiration: time.Unix(0, cl.Expires).UTC().Truncate(time.Second)}, nil
}

// openSession returns the claims of a session token, or InvalidClientTokenId
// when it was not made by this cluster's keyring or is not for akid.
func (n *Node) openSession(token, akid string) (*sessionClaims, error) {
	sealed, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return nil, invalidClientToken()
	}
	kr, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	plain, err := kr.Open(sealed, sessionTokenAAD)
	if err != nil {
		return nil, invalidClientToken()
	}
	var cl sessionClaims
	if err := json.Unmarshal(plain, &cl); err != nil || cl.AccessKeyID != akid || cl.Secret == "" {
		return nil, invalidClientToken()
	}
	return &cl, nil
}
