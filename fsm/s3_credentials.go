package fsm

import (
	"iamd/iamerr"
)

// Role-based S3 credentials (S4 compatibility, spec/account-security.md §3,
// §5.4). A credential is a row of the access key table with S4Role set, so
// that authentication finds, decrypts and checks it like any key; the
// user's role is the S3Reader/S3Writer/S3SuperUser managed policy attached
// to the user. Unlike S4, a user holds up to MaxS3CredentialsPerUser
// credentials at once (rotation without downtime), and deleting one or
// setting it Inactive is one replicated command.
const (
	CmdCreateS3Credential CommandType = 600
	CmdUpdateS3Credential CommandType = 601
	CmdDeleteS3Credential CommandType = 602
	CmdCreateS4User       CommandType = 603
)

// MaxS3CredentialsPerUser bounds a user's S3 credentials, apart from the
// two IAM access keys: enough for a rotation with overlap on several
// clients, few enough that a forgotten credential stands out.
const MaxS3CredentialsPerUser = 5

func init() {
	register(CmdCreateS3Credential, "create-s3-credential", applyCreateS3Credential)
	register(CmdUpdateS3Credential, "update-s3-credential", applyUpdateS3Credential)
	register(CmdDeleteS3Credential, "delete-s3-credential", applyDeleteS3Credential)
	register(CmdCreateS4User, "create-s4-user", applyCreateS4User)
	// Audit names (audit_actions.go audits every registered command; these
	// only name them better than "command.<name>").
	auditActions[CmdCreateS3Credential] = "iam.s3_credential.create"
	auditActions[CmdUpdateS3Credential] = "iam.s3_credential.update"
	auditActions[CmdDeleteS3Credential] = "iam.s3_credential.delete"
	auditActions[CmdCreateS4User] = "iam.user.create"
}

// NoSuchS3Credential is the error for a credential that is not the user's.
func NoSuchS3Credential(id string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The S3 credential with id %s cannot be found.", id)
}

// CreateS3Credential stores a credential (Key, S4Role set) for a user. The
// role's policy (PolicyArn) must be attached to the user; with Attach it
// is attached here when missing, in the same entry, so that a credential
// never exists without the role it was issued for.
type CreateS3Credential struct {
	UserName    string // for messages and the audit target
	AccessKeyID string // the audit target
	Key         AccessKey
	PolicyArn   string
	Attach      bool
}

func applyCreateS3Credential(tx *txn, env Env, cmd *CreateS3Credential) (any, error) {
	k := cmd.Key
	u := userByID(tx, k.AccountID, k.UserID)
	if u == nil {
		return nil, noSuchUser(cmd.UserName)
	}
	if k.S4Role == "" || k.AccessKeyID != cmd.AccessKeyID {
		return nil, iamerr.New(iamerr.Invalid, "an S3 credential needs a role and its key ID")
	}
	if first[AccessKey](tx, tableAccessKeys, "id", k.AccessKeyID) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "Access key %s already exists.", k.AccessKeyID)
	}
	if len(s3Credentials(tx, u.AccountID, u.UserID)) >= MaxS3CredentialsPerUser {
		return nil, limitExceeded("Cannot exceed quota for S3CredentialsPerUser: %d", MaxS3CredentialsPerUser)
	}
	if err := ensureRole(tx, u, cmd.PolicyArn, cmd.Attach); err != nil {
		return nil, err
	}
	k.UserName = u.UserName
	if err := insert(tx, tableAccessKeys, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// ensureRole checks that the role policy is attached to the user, or
// attaches it (attach), within the managed policy quota.
func ensureRole(tx *txn, u *IAMUser, arn string, attach bool) error {
	id := u.UserID + "|" + arn
	if first[PolicyAttachment](tx, tableAttachments, "id", id) != nil {
		return nil
	}
	if !attach {
		return iamerr.WithCode(iamerr.Conflict, "EntityTemporarilyUnmodifiable",
			"The role policy %s is no longer attached to user %s.", arn, u.UserName)
	}
	if count(tx, tableAttachments, "entity", u.UserID) >= MaxAttachedPolicies {
		return limitExceeded("Cannot exceed quota for PoliciesPerUser: %d", MaxAttachedPolicies)
	}
	return insert(tx, tableAttachments, &PolicyAttachment{ID: id, AccountID: u.AccountID,
		EntityType: "user", EntityID: u.UserID, PolicyArn: arn})
}

// s3Credentials returns a user's S3 credentials, by key ID.
func s3Credentials(tx *txn, acct, userID string) []*AccessKey {
	var out []*AccessKey
	for _, k := range userKeys(tx, acct, userID) {
		if k.S4Role != "" {
			out = append(out, k)
		}
	}
	return out
}

// s3Credential returns the credential if it is the user's, else nil.
func s3Credential(tx *txn, acct, userID, id string) *AccessKey {
	k := first[AccessKey](tx, tableAccessKeys, "id", id)
	if k == nil || k.S4Role == "" || k.AccountID != acct || k.UserID != userID {
		return nil
	}
	return k
}

// UpdateS3Credential sets a credential's status (Active or Inactive).
type UpdateS3Credential struct {
	AccountID   string
	UserID      string
	UserName    string
	AccessKeyID string
	Status      string
}

func applyUpdateS3Credential(tx *txn, env Env, cmd *UpdateS3Credential) (any, error) {
	k := s3Credential(tx, cmd.AccountID, cmd.UserID, cmd.AccessKeyID)
	if k == nil {
		return nil, NoSuchS3Credential(cmd.AccessKeyID)
	}
	c := *k
	c.Status = cmd.Status
	if err := insert(tx, tableAccessKeys, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteS3Credential removes one of the user's credentials, or all of them
// when AccessKeyID is "" (S4's DELETE /users/{id}/credentials).
type DeleteS3Credential struct {
	AccountID   string
	UserID      string
	UserName    string
	AccessKeyID string
}

func applyDeleteS3Credential(tx *txn, env Env, cmd *DeleteS3Credential) (any, error) {
	var gone []*AccessKey
	if cmd.AccessKeyID == "" {
		if userByID(tx, cmd.AccountID, cmd.UserID) == nil {
			return nil, noSuchUser(cmd.UserName)
		}
		gone = s3Credentials(tx, cmd.AccountID, cmd.UserID)
	} else if k := s3Credential(tx, cmd.AccountID, cmd.UserID, cmd.AccessKeyID); k != nil {
		gone = []*AccessKey{k}
	} else {
		return nil, NoSuchS3Credential(cmd.AccessKeyID)
	}
	for _, k := range gone {
		if err := tx.Delete(tableAccessKeys, k); err != nil {
			return nil, err
		}
	}
	return len(gone), nil
}

// CreateS4User creates a user with its role policy attached, in one entry
// (S4's POST /api/admin/users).
type CreateS4User struct {
	User      IAMUser
	UserName  string
	PolicyArn string
}

func applyCreateS4User(tx *txn, env Env, cmd *CreateS4User) (any, error) {
	out, err := applyCreateUser(tx, env, &CreateUser{User: cmd.User})
	if err != nil {
		return nil, err
	}
	u := out.(*IAMUser)
	if err := ensureRole(tx, u, cmd.PolicyArn, true); err != nil {
		return nil, err
	}
	return u, nil
}

// S3Credentials returns a user's S3 credentials, by key ID.
func (s *State) S3Credentials(acct, userID string) []*AccessKey {
	return s3Credentials(s.tx, acct, userID)
}
