package server

import (
	"context"

	"iamd/fsm"
	"iamd/iamerr"
)

// IAM login profiles and ChangePassword (spec §4.8). Every new password is
// checked against the account password policy (CheckPasswordPolicy, with
// the user's login-profile history for reuse prevention) and hashed here,
// on the proposing node; Apply only decides existence.

// CreateLoginProfile gives the named user a password.
func (n *Node) CreateLoginProfile(ctx context.Context, c *AWSCaller, name, password string, resetRequired bool) (*fsm.LoginProfile, error) {
	u, err := n.targetUser(c, "iam:CreateLoginProfile", name)
	if err != nil {
		return nil, err
	}
	if n.State().LoginProfile(u.UserID) != nil { // before the slow hash; Apply decides again
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "Login Profile for user %s already exists.", name)
	}
	if err := n.CheckPasswordPolicy(c.AccountID, fsm.LoginProfileKey(u.UserID), password); err != nil {
		return nil, err
	}
	return applyAs[*fsm.LoginProfile](ctx, n, fsm.CmdCreateLoginProfile, fsm.CreateLoginProfile{UserName: name,
		Profile: fsm.LoginProfile{AccountID: c.AccountID, UserID: u.UserID, PasswordHash: hashPassword(password),
			CreateDate: n.iamNow(), PasswordResetRequired: resetRequired}})
}

// GetLoginProfile returns the named user's profile (or the caller's when
// name is empty), NoSuchEntity if it has none.
func (n *Node) GetLoginProfile(c *AWSCaller, name string) (*fsm.IAMUser, *fsm.LoginProfile, error) {
	u, err := n.callerOrNamed(c, "iam:GetLoginProfile", name)
	if err != nil {
		return nil, nil, err
	}
	p := n.State().LoginProfile(u.UserID)
	if p == nil || p.AccountID != c.AccountID {
		return nil, nil, errNoLoginProfile(displayName(u, c))
	}
	return u, p, nil
}

// UpdateLoginProfile changes the password (nil: unchanged) and/or the
// reset flag (nil: unchanged).
func (n *Node) UpdateLoginProfile(ctx context.Context, c *AWSCaller, name string, password *string, resetRequired *bool) error {
	u, err := n.targetUser(c, "iam:UpdateLoginProfile", name)
	if err != nil {
		return err
	}
	if n.State().LoginProfile(u.UserID) == nil {
		return errNoLoginProfile(name)
	}
	cmd := fsm.UpdateLoginProfile{AccountID: c.AccountID, UserID: u.UserID, UserName: name,
		PasswordResetRequired: resetRequired, Time: n.iamNow()}
	if password != nil {
		if err := n.CheckPasswordPolicy(c.AccountID, fsm.LoginProfileKey(u.UserID), *password); err != nil {
			return err
		}
		cmd.PasswordHash = hashPassword(*password)
	}
	_, err = n.apply(ctx, fsm.CmdUpdateLoginProfile, cmd)
	return err
}

// DeleteLoginProfile removes the named user's password.
func (n *Node) DeleteLoginProfile(ctx context.Context, c *AWSCaller, name string) error {
	u, err := n.targetUser(c, "iam:DeleteLoginProfile", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeleteLoginProfile, fsm.DeleteLoginProfile{AccountID: c.AccountID, UserID: u.UserID, UserName: name})
	return err
}

// ChangePassword is an IAM user changing its own password. The account's
// AllowUsersToChangePassword lets every user do it; otherwise the user needs
// iam:ChangePassword on its own ARN.
func (n *Node) ChangePassword(ctx context.Context, c *AWSCaller, oldPassword, newPassword string) error {
	if c.Type != PrincipalUser || c.User == nil {
		return iamerr.WithCode(iamerr.Invalid, "InvalidUserType", "Only IAM Users can change their own password.")
	}
	st := n.State()
	u := st.IAMUserByID(c.User.UserID)
	if u == nil {
		return errNoSuchUser(c.User.UserName)
	}
	if pol := st.PasswordPolicy(c.AccountID); pol == nil || !pol.AllowUsersToChangePassword {
		if err := n.AuthorizeIAM(c, "iam:ChangePassword", UserArn(u)); err != nil {
			return err
		}
	}
	p := st.LoginProfile(u.UserID)
	if p == nil {
		return errNoLoginProfile(u.UserName)
	}
	if !checkPassword(p.PasswordHash, oldPassword) {
		return iamerr.WithCode(iamerr.Denied, "AccessDenied", "The old password is incorrect.")
	}
	if err := n.CheckPasswordPolicy(c.AccountID, fsm.LoginProfileKey(u.UserID), newPassword); err != nil {
		return err
	}
	_, err := n.apply(ctx, fsm.CmdChangePassword, fsm.ChangePassword{AccountID: c.AccountID, UserID: u.UserID,
		UserName: u.UserName, OldHash: p.PasswordHash, PasswordHash: hashPassword(newPassword), Time: n.iamNow()})
	return err
}

func errNoLoginProfile(name string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "Login Profile for User %s cannot be found.", name)
}

// displayName is the user's name, or the account ID for the root.
func displayName(u *fsm.IAMUser, c *AWSCaller) string {
	if u.UserName == "" {
		return c.AccountID
	}
	return u.UserName
}
