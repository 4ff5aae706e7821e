package server

import (
	"context"

	"iamd/fsm"
	"iamd/server/policy"
)

// Role-based S3 credentials (S4, spec/account-security.md §3, §5.4). One
// call issues an S4AK… key and its secret for a user with a role; the key
// is a row of the access key table (fsm/s3_credentials.go), so SigV4
// authentication (iam_auth.go) treats it like any key: a deleted or
// Inactive credential, or an Inactive user (SetUserStatus), fails on every
// node as soon as the entry is applied there. Requests signed with it are
// decided by the user's policies narrowed to the credential's role
// (iam_authz.go callerDecision).

const (
	s3CredentialPrefix   = "S4AK"
	s3CredentialAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// newS3Credential draws an S4AK + 20 key ID and a 40-character secret
// (base62, about 238 bits).
func newS3Credential() (id, secret string) {
	return s3CredentialPrefix + randomString(20, s3CredentialAlphabet), randomString(40, base62)
}

// CreateS3Credential issues a credential for the named user and returns
// it with its secret, shown this once. With a role, the role's policy is
// attached to the user when missing (so the caller needs
// iam:AttachUserPolicy for it too); without, the user's current role is
// used.
func (n *Node) CreateS3Credential(ctx context.Context, c *AWSCaller, userName, role string) (*fsm.AccessKey, string, error) {
	u, err := n.targetUser(c, "iam:CreateS3Credential", userName)
	if err != nil {
		return nil, "", err
	}
	attach := role != ""
	if attach {
		if role = CanonicalS4Role(role); role == "" {
			return nil, "", invalidInput("Role must be Reader, Writer or SuperUser")
		}
		extra := map[string][]string{"iam:policyarn": {S4RolePolicyArn(role)}}
		if err := n.authorizeIAM(c, "iam:AttachUserPolicy", UserArn(u), extra); err != nil {
			return nil, "", err
		}
	} else if role = UserS4Role(n.State(), u); role == "" {
		return nil, "", invalidInput("User %s has no S3 role: give Role (Reader, Writer or SuperUser)", u.UserName)
	}
	kr, err := n.requireKeyring()
	if err != nil {
		return nil, "", err
	}
	id, secret := newS3Credential()
	key := fsm.AccessKey{AccessKeyID: id, AccountID: c.AccountID, UserName: u.UserName, UserID: u.UserID,
		Status: "Active", CreateDate: n.iamNow(), SecretCiphertext: kr.Seal([]byte(secret), id), S4Role: role}
	k, err := applyAs[*fsm.AccessKey](ctx, n, fsm.CmdCreateS3Credential, fsm.CreateS3Credential{
		UserName: u.UserName, AccessKeyID: id, Key: key, PolicyArn: S4RolePolicyArn(role), Attach: attach})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// ListS3Credentials returns the user's credentials (never their secrets),
// by key ID.
func (n *Node) ListS3Credentials(c *AWSCaller, userName string) (*fsm.IAMUser, []*fsm.AccessKey, error) {
	u, err := n.targetUser(c, "iam:ListS3Credentials", userName)
	if err != nil {
		return nil, nil, err
	}
	return u, n.State().S3Credentials(u.AccountID, u.UserID), nil
}

// UpdateS3Credential sets a credential's status; an Inactive one fails
// authentication at once, and can be made Active again.
func (n *Node) UpdateS3Credential(ctx context.Context, c *AWSCaller, userName, keyID, status string) error {
	u, err := n.targetUser(c, "iam:UpdateS3Credential", userName)
	if err != nil {
		return err
	}
	if status != "Active" && status != "Inactive" {
		return invalidInput("Status must be Active or Inactive")
	}
	_, err = n.apply(ctx, fsm.CmdUpdateS3Credential, fsm.UpdateS3Credential{AccountID: c.AccountID,
		UserID: u.UserID, UserName: u.UserName, AccessKeyID: keyID, Status: status})
	return err
}

// DeleteS3Credential deletes one of the user's credentials, or all of them
// when keyID is "", and returns how many went.
func (n *Node) DeleteS3Credential(ctx context.Context, c *AWSCaller, userName, keyID string) (int, error) {
	u, err := n.targetUser(c, "iam:DeleteS3Credential", userName)
	if err != nil {
		return 0, err
	}
	return applyAs[int](ctx, n, fsm.CmdDeleteS3Credential, fsm.DeleteS3Credential{AccountID: c.AccountID,
		UserID: u.UserID, UserName: u.UserName, AccessKeyID: keyID})
}

// CreateS4User creates a user with a role, in one entry (S4's admin API):
// the caller needs iam:CreateUser and iam:AttachUserPolicy for the role.
func (n *Node) CreateS4User(ctx context.Context, c *AWSCaller, name, role string) (*fsm.IAMUser, error) {
	if role = CanonicalS4Role(role); role == "" {
		return nil, invalidInput("Role must be Reader, Writer or SuperUser")
	}
	arn := iamArn(c.AccountID, "user", "/", name)
	if err := n.AuthorizeIAM(c, "iam:CreateUser", arn); err != nil {
		return nil, err
	}
	extra := map[string][]string{"iam:policyarn": {S4RolePolicyArn(role)}}
	if err := n.authorizeIAM(c, "iam:AttachUserPolicy", arn, extra); err != nil {
		return nil, err
	}
	u := fsm.IAMUser{AccountID: c.AccountID, UserID: newIAMID("AIDA"), UserName: name, Path: "/", CreateDate: n.iamNow()}
	return applyAs[*fsm.IAMUser](ctx, n, fsm.CmdCreateS4User, fsm.CreateS4User{User: u, UserName: name,
		PolicyArn: S4RolePolicyArn(role)})
}

// narrowToS4Role is the decision of an S3 credential whose user's
// policies allowed req: the role's policy must allow it too, so that a
// credential never does more than its role, whatever else the user may.
func narrowToS4Role(role string, req policy.Request) policy.Decision {
	p := awsManagedPolicyByArn(S4RolePolicyArn(role))
	if p == nil {
		return policy.ImplicitDeny
	}
	return policy.Decide([]policy.Source{{ID: p.Arn, Policy: p.compiled}}, req)
}
