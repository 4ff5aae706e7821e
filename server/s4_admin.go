package server

import (
	"context"
	"strings"

	"iamd/fsm"
	"iamd/iamerr"
)

// S4's admin API as a thin layer (api/s4admin; spec/account-security.md
// §3.2, §5.4). S4 logs admins in with a username and password and hands
// out an HS256 JWT; here the login is a userpass login on the userpass/
// mount and the "JWT" is the iamd token it issues, so it expires, is
// revoked with the user, and is stored only as an HMAC. A token is an S4
// admin when its ACL allows update on S4AdminPath (the root token always);
// the admin then acts as the account root on the IAM operations the layer
// calls.

// S4AdminPath is the ACL path that makes a token an S4 admin.
const S4AdminPath = "sys/s4/admin"

// S4AdminMount is the userpass mount S4 logins and passwords use.
const S4AdminMount = "userpass/"

// S4AdminPolicyPrefix prefixes the token policy given to a user created
// with a password: s4-reader, s4-writer or s4-superuser. Write an ACL
// policy named s4-superuser allowing update on S4AdminPath to let S4
// SuperUsers use the admin API.
const S4AdminPolicyPrefix = "s4-"

var errS4InvalidCredentials = iamerr.New(iamerr.Unauthorized, "Invalid credentials")

// S4AdminLogin logs a user in on the userpass/ mount and returns the
// token. Every refusal (unknown user, bad password, lockout, no mount) is
// the same Unauthorized error, as S4's; a user with MFA must log in through
// the Vault path, which can carry the code.
func (n *Node) S4AdminLogin(ctx context.Context, username, password string) (*IssuedToken, error) {
	m := n.State().AuthMount(S4AdminMount)
	if m == nil || m.Type != "userpass" || username == "" || password == "" {
		return nil, errS4InvalidCredentials
	}
	res, err := n.LoginUserpass(ctx, m, username, password, nil, false)
	if err != nil {
		switch iamerr.KindOf(err) {
		case iamerr.Internal, iamerr.Unavailable:
			return nil, err
		}
		return nil, errS4InvalidCredentials
	}
	if res.Issued == nil {
		return nil, iamerr.New(iamerr.Unauthorized,
			"MFA required: log in with POST /v1/auth/userpass/login/%s and the X-Vault-MFA header", strings.ToLower(username))
	}
	return res.Issued, nil
}

// S4Admin authenticates a bearer token for the admin API and returns the
// Vault caller and the account root it acts as. Unauthorized for a missing,
// unknown or expired token; Denied for a token that is not an admin.
func (n *Node) S4Admin(ctx context.Context, token string) (*Caller, *AWSCaller, error) {
	vc, err := n.Authenticate(ctx, token)
	if err != nil {
		if iamerr.KindOf(err) == iamerr.Unauthorized || iamerr.KindOf(err) == iamerr.Invalid {
			return nil, nil, iamerr.New(iamerr.Unauthorized, "Invalid or expired token")
		}
		return nil, nil, err
	}
	if !n.AllowVault(vc, S4AdminPath, OpUpdate) {
		return nil, nil, iamerr.New(iamerr.Denied, "Forbidden")
	}
	acct := n.State().DefaultAccountID()
	return vc, &AWSCaller{AccountID: acct, Type: PrincipalRoot, Arn: RootArn(acct), UserID: acct, Time: n.now()}, nil
}

// S4UserView is S4's UserResponse: a user, its role ("" for none) and its
// newest active S3 credential ("" for none).
type S4UserView struct {
	*fsm.IAMUser
	Role      string
	AccessKey string
}

func s4View(st *fsm.State, u *fsm.IAMUser) S4UserView {
	v := S4UserView{IAMUser: u, Role: UserS4Role(st, u)}
	var newest *fsm.AccessKey
	for _, k := range st.S3Credentials(u.AccountID, u.UserID) {
		if k.Status == "Active" && (newest == nil || k.CreateDate.After(newest.CreateDate)) {
			newest = k
		}
	}
	if newest != nil {
		v.AccessKey = newest.AccessKeyID
	}
	return v
}

// S4Users lists the account's users (at most max), by name.
func (n *Node) S4Users(c *AWSCaller, max int) ([]S4UserView, error) {
	page, err := n.ListIAMUsers(c, "", "", max)
	if err != nil {
		return nil, err
	}
	st := n.State()
	out := make([]S4UserView, len(page.Items))
	for i, u := range page.Items {
		out[i] = s4View(st, u)
	}
	return out, nil
}

// S4User returns the user with ID id (its AIDA… user ID).
func (n *Node) S4User(c *AWSCaller, id string) (S4UserView, error) {
	st := n.State()
	u := st.IAMUserByID(id)
	if u == nil || u.AccountID != c.AccountID {
		return S4UserView{}, iamerr.New(iamerr.NotFound, "User not found")
	}
	if err := n.AuthorizeIAM(c, "iam:GetUser", UserArn(u)); err != nil {
		return S4UserView{}, err
	}
	return s4View(st, u), nil
}

// S4CreateUser creates a user with a role and, when password is given, a
// userpass login of the same name with the s4-<role> token policy. The
// password and the caller's right to write the login are checked first, so
// a refused password creates nothing.
func (n *Node) S4CreateUser(ctx context.Context, vc *Caller, c *AWSCaller, name, role, password string) (S4UserView, error) {
	var m *fsm.AuthMount
	if password != "" {
		if m = n.State().AuthMount(S4AdminMount); m == nil || m.Type != "userpass" {
			return S4UserView{}, iamerr.New(iamerr.Invalid, "enable auth/userpass to give S4 users passwords")
		}
		if !n.AllowVault(vc, "auth/"+S4AdminMount+"users/"+strings.ToLower(name), OpCreate) {
			return S4UserView{}, iamerr.New(iamerr.Denied, "Forbidden")
		}
		if err := n.checkNewPassword(m, strings.ToLower(name), &password); err != nil {
			return S4UserView{}, err
		}
	}
	u, err := n.CreateS4User(ctx, c, name, role)
	if err != nil {
		return S4UserView{}, err
	}
	if m != nil {
		policies := []string{S4AdminPolicyPrefix + strings.ToLower(CanonicalS4Role(role))}
		if err := n.WriteUserpassUser(ctx, m, name, UserpassUserRequest{Password: &password,
			Token: TokenFieldsRequest{Policies: &policies}}); err != nil {
			return S4UserView{}, err
		}
	}
	return s4View(n.State(), u), nil
}
