package server

import (
	"context"
	"strings"
	"time"

	"iamd/fsm"
)

// Service accounts (SeaweedFS extension, spec §4.9): a credential owned by
// a user, evaluated with the parent's policies at request time, optionally
// ended by an expiry. Its ABIA… key lives in the access key table, so
// authentication (iam_auth.go) finds it like any key and then checks the
// account's status and expiry and the parent's status.

// MaxServiceAccountDescription bounds Description, as for policies.
const MaxServiceAccountDescription = 1000

// CreateServiceAccountRequest is CreateServiceAccount's input; Expiration
// zero means none.
type CreateServiceAccountRequest struct {
	ParentUser  string
	Description string
	Expiration  time.Time
}

// saTarget authorizes action on the parent of service account id and
// returns the account and its parent. The resource is the parent's ARN; for
// an unknown ID it is the ARN of the user named in the ID, so that
// authorization still comes before the existence check.
func (n *Node) saTarget(c *AWSCaller, action, id string) (*fsm.ServiceAccount, *fsm.IAMUser, error) {
	st := n.State()
	sa := st.ServiceAccount(id)
	var parent *fsm.IAMUser
	if sa != nil && sa.AccountID == c.AccountID {
		parent = st.IAMUserByID(sa.ParentUserID)
	} else {
		sa = nil
	}
	arn := iamArn(c.AccountID, "user", "/", parentNameInID(id))
	if parent != nil {
		arn = UserArn(parent)
	}
	if err := n.AuthorizeIAM(c, action, arn); err != nil {
		return nil, nil, err
	}
	if sa == nil || parent == nil {
		return nil, nil, fsm.NoSuchServiceAccount(id)
	}
	return sa, parent, nil
}

// parentNameInID returns <parent> of sa:<parent>:<hex>, "" if malformed.
func parentNameInID(id string) string {
	rest, ok := strings.CutPrefix(id, "sa:")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return ""
	}
	return rest[:i]
}

func (n *Node) checkExpiration(t time.Time) error {
	if !t.IsZero() && !t.After(n.now()) {
		return invalidInput("Expiration must be in the future")
	}
	return nil
}

// CreateServiceAccount creates a service account and its key for a user;
// the secret is returned once.
func (n *Node) CreateServiceAccount(ctx context.Context, c *AWSCaller, req CreateServiceAccountRequest) (*fsm.ServiceAccount, string, error) {
	u, err := n.targetUser(c, "iam:CreateServiceAccount", req.ParentUser)
	if err != nil {
		return nil, "", err
	}
	if len([]rune(req.Description)) > MaxServiceAccountDescription {
		return nil, "", invalidInput("Description must be at most %d characters", MaxServiceAccountDescription)
	}
	if err := n.checkExpiration(req.Expiration); err != nil {
		return nil, "", err
	}
	kr, err := n.requireKeyring()
	if err != nil {
		return nil, "", err
	}
	now := n.iamNow()
	id, secret := newAccessKeyID("ABIA"), newSecretAccessKey()
	sa := fsm.ServiceAccount{ID: "sa:" + u.UserName + ":" + randomString(32, "0123456789abcdef"), AccountID: c.AccountID,
		ParentUserID: u.UserID, Description: req.Description, AccessKeyID: id, Status: "Active",
		Expiration: req.Expiration.UTC(), CreateDate: now}
	key := fsm.AccessKey{AccessKeyID: id, AccountID: c.AccountID, Status: "Active", CreateDate: now,
		SecretCiphertext: kr.Seal([]byte(secret), id)}
	out, err := applyAs[*fsm.ServiceAccount](ctx, n, fsm.CmdCreateServiceAccount,
		fsm.CreateServiceAccount{ServiceAccount: sa, Key: key, ParentName: u.UserName})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// ServiceAccountView is a service account with its parent's current name.
type ServiceAccountView struct {
	*fsm.ServiceAccount
	ParentUser string
}

// GetServiceAccount returns a service account (never its secret).
func (n *Node) GetServiceAccount(c *AWSCaller, id string) (ServiceAccountView, error) {
	sa, parent, err := n.saTarget(c, "iam:GetServiceAccount", id)
	if err != nil {
		return ServiceAccountView{}, err
	}
	return ServiceAccountView{sa, parent.UserName}, nil
}

// ListServiceAccounts pages through the service accounts of one user, or
// of the whole account when parentUser is "", by ID.
func (n *Node) ListServiceAccounts(c *AWSCaller, parentUser, marker string, maxItems int) (Page[ServiceAccountView], error) {
	st := n.State()
	var sas []*fsm.ServiceAccount
	if parentUser != "" {
		u, err := n.targetUser(c, "iam:ListServiceAccounts", parentUser)
		if err != nil {
			return Page[ServiceAccountView]{}, err
		}
		sas = st.ServiceAccountsOf(u.UserID)
	} else {
		if err := n.AuthorizeIAM(c, "iam:ListServiceAccounts", "*"); err != nil {
			return Page[ServiceAccountView]{}, err
		}
		sas = st.ServiceAccounts(c.AccountID)
	}
	views := make([]ServiceAccountView, 0, len(sas))
	for _, sa := range sas {
		if u := st.IAMUserByID(sa.ParentUserID); u != nil {
			views = append(views, ServiceAccountView{sa, u.UserName})
		}
	}
	return paginate(views, func(v ServiceAccountView) string { return v.ID }, marker, maxItems)
}

// UpdateServiceAccountRequest changes what is non-nil; a zero Expiration
// clears it.
type UpdateServiceAccountRequest struct {
	ID          string
	Status      *string
	Description *string
	Expiration  *time.Time
}

// UpdateServiceAccount changes a service account's status, description or
// expiry; an inactive one fails authentication at once.
func (n *Node) UpdateServiceAccount(ctx context.Context, c *AWSCaller, req UpdateServiceAccountRequest) error {
	sa, _, err := n.saTarget(c, "iam:UpdateServiceAccount", req.ID)
	if err != nil {
		return err
	}
	if req.Status != nil && *req.Status != "Active" && *req.Status != "Inactive" {
		return invalidInput("Status must be Active or Inactive")
	}
	if req.Description != nil && len([]rune(*req.Description)) > MaxServiceAccountDescription {
		return invalidInput("Description must be at most %d characters", MaxServiceAccountDescription)
	}
	if req.Expiration != nil {
		if err := n.checkExpiration(*req.Expiration); err != nil {
			return err
		}
	}
	_, err = n.apply(ctx, fsm.CmdUpdateServiceAccount, fsm.UpdateServiceAccount{AccountID: c.AccountID, ID: sa.ID,
		Status: req.Status, Description: req.Description, Expiration: req.Expiration})
	return err
}

// DeleteServiceAccount deletes a service account and its key.
func (n *Node) DeleteServiceAccount(ctx context.Context, c *AWSCaller, id string) error {
	sa, _, err := n.saTarget(c, "iam:DeleteServiceAccount", id)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeleteServiceAccount, fsm.DeleteServiceAccount{AccountID: c.AccountID, ID: sa.ID})
	return err
}
