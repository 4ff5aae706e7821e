package server

import (
	"context"
	"strings"
	"time"

	"iamd/fsm"
)

// IAM access keys (spec §4.2). A key belongs to a user or, with no
// UserName from the root, to the account root; at most two per owner
// (decided in the FSM). The secret is sealed with the keyring before it
// enters the log and is returned once, by CreateIAMAccessKey.

// CreateAccessKeyRequest is CreateAccessKey's input; AccessKeyID and
// SecretAccessKey are SeaweedFS's extension (both or neither).
type CreateAccessKeyRequest struct {
	UserName        string
	AccessKeyID     string
	SecretAccessKey string
	// ExpirationDate (nil: never) and Tag are OUTSCALE's (OAPI, and the
	// IAM query extension parameter ExpirationDate); the account's API
	// access policy may require an expiration date.
	ExpirationDate *time.Time
	Tag            string
}

// keyOwnerID is the AccessKey.UserID of a user's keys: "" for the root's
// pseudo-user that callerOrNamed returns.
func keyOwnerID(u *fsm.IAMUser) string {
	if u.UserName == "" {
		return ""
	}
	return u.UserID
}

// CreateIAMAccessKey creates a key for the named user (or the caller) and
// returns it with its secret, which is never shown again.
func (n *Node) CreateIAMAccessKey(ctx context.Context, c *AWSCaller, req CreateAccessKeyRequest) (*fsm.AccessKey, string, error) {
	u, err := n.callerOrNamed(c, "iam:CreateAccessKey", req.UserName)
	if err != nil {
		return nil, "", err
	}
	if err := n.requireSecurityCert(ctx, c); err != nil { // trusted session (access_rules.go)
		return nil, "", err
	}
	id, secret := req.AccessKeyID, req.SecretAccessKey
	if err := checkSuppliedKey(id, secret); err != nil {
		return nil, "", err
	}
	if id == "" {
		id, secret = newAccessKeyID("AKIA"), newSecretAccessKey()
	}
	kr, err := n.requireKeyring()
	if err != nil {
		return nil, "", err
	}
	key := fsm.AccessKey{AccessKeyID: id, AccountID: c.AccountID, UserName: u.UserName, UserID: keyOwnerID(u),
		Status: "Active", CreateDate: n.iamNow(), SecretCiphertext: kr.Seal([]byte(secret), id),
		ExpirationDate: req.ExpirationDate, Tag: req.Tag}
	k, err := applyAs[*fsm.AccessKey](ctx, n, fsm.CmdCreateAccessKey, fsm.CreateAccessKey{Key: key, UserName: u.UserName, Now: n.now().UTC()})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// checkSuppliedKey applies the rules for a caller-chosen key (SeaweedFS
// extension, spec §4.2): both parts or neither; the ID 16-128 letters and
// digits, not in the session (ASIA) or service account (ABIA) namespaces
// that authentication recognises by prefix; the secret 8-128 printable
// ASCII characters.
func checkSuppliedKey(id, secret string) error {
	switch {
	case id == "" && secret == "":
		return nil
	case id == "" || secret == "":
		return invalidInput("AccessKeyId and SecretAccessKey must be supplied together")
	case len(id) < 16 || len(id) > 128 || !isAlnum(id):
		return invalidInput("AccessKeyId must be 16 to 128 letters and digits")
	case strings.HasPrefix(id, "ASIA") || strings.HasPrefix(id, "ABIA"):
		return invalidInput("AccessKeyId may not start with ASIA or ABIA, which are reserved for session and service account keys")
	case len(secret) < 8 || len(secret) > 128 || !isPrintableASCII(secret):
		return invalidInput("SecretAccessKey must be 8 to 128 printable ASCII characters")
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// ListIAMAccessKeys pages through the named user's (or the caller's) keys,
// without secrets and without its service accounts' keys.
func (n *Node) ListIAMAccessKeys(c *AWSCaller, userName, marker string, maxItems int) (*fsm.IAMUser, Page[*fsm.AccessKey], error) {
	u, err := n.callerOrNamed(c, "iam:ListAccessKeys", userName)
	if err != nil {
		return nil, Page[*fsm.AccessKey]{}, err
	}
	p, err := paginate(n.State().OwnAccessKeys(c.AccountID, keyOwnerID(u)), accessKeyID, marker, maxItems)
	return u, p, err
}

// UpdateIAMAccessKey sets a key's status (Active or Inactive). An
// inactive key fails authentication with InvalidClientTokenId.
func (n *Node) UpdateIAMAccessKey(ctx context.Context, c *AWSCaller, userName, keyID, status string) error {
	_, err := n.UpdateAccessKey(ctx, c, KeyUpdate{UserName: userName, AccessKeyID: keyID, Status: status})
	return err
}

// KeyUpdate is a change to a key: Status ("" leaves it), and with
// SetExpiration its ExpirationDate (nil: never expires), Tag when set.
type KeyUpdate struct {
	UserName      string
	AccessKeyID   string
	Status        string
	SetExpiration bool
	Expiration    *time.Time
	Tag           *string
}

// UpdateAccessKey applies a KeyUpdate; a new expiration date must satisfy
// the account's API access policy (decided in Apply).
func (n *Node) UpdateAccessKey(ctx context.Context, c *AWSCaller, up KeyUpdate) (*fsm.AccessKey, error) {
	u, err := n.callerOrNamed(c, "iam:UpdateAccessKey", up.UserName)
	if err != nil {
		return nil, err
	}
	if err := n.requireSecurityCert(ctx, c); err != nil {
		return nil, err
	}
	return applyAs[*fsm.AccessKey](ctx, n, fsm.CmdUpdateAccessKey, fsm.UpdateAccessKey{AccountID: c.AccountID, UserID: keyOwnerID(u),
		AccessKeyID: up.AccessKeyID, Status: up.Status, SetExpiration: up.SetExpiration, Expiration: up.Expiration, Tag: up.Tag,
		Now: n.now().UTC()})
}

// DeleteIAMAccessKey deletes one of the user's keys; it stops signing on
// every node as soon as the command is applied there.
func (n *Node) DeleteIAMAccessKey(ctx context.Context, c *AWSCaller, userName, keyID string) error {
	u, err := n.callerOrNamed(c, "iam:DeleteAccessKey", userName)
	if err != nil {
		return err
	}
	if err := n.requireSecurityCert(ctx, c); err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeleteAccessKey, fsm.DeleteAccessKey{AccountID: c.AccountID, UserID: keyOwnerID(u), AccessKeyID: keyID})
	return err
}

// KeyLastUsed is GetAccessKeyLastUsed's answer; Use is nil for a key never
// used.
type KeyLastUsed struct {
	UserName string // "" for a root key
	Use      *fsm.KeyUse
}

// IAMAccessKeyLastUsed reports when and for what a key last signed a
// request (see iam_keyuse.go for how fresh that is). The resource is the
// caller's own ARN when the key is the caller's (so that self-service
// applies) and "*" otherwise, as the spec lists; the key is looked up only
// after authorization.
func (n *Node) IAMAccessKeyLastUsed(c *AWSCaller, keyID string) (*KeyLastUsed, error) {
	st := n.State()
	k := st.AccessKey(keyID)
	resource := "*"
	if k != nil && k.AccountID == c.AccountID && c.User != nil && k.UserID == c.User.UserID {
		resource = c.Arn
	}
	if err := n.AuthorizeIAM(c, "iam:GetAccessKeyLastUsed", resource); err != nil {
		return nil, err
	}
	if k == nil || k.AccountID != c.AccountID {
		return nil, noSuchEntity("The Access Key with id %s cannot be found", keyID)
	}
	return &KeyLastUsed{UserName: k.UserName, Use: n.keyLastUsed(st, keyID)}, nil
}
