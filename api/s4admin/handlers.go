package s4admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string  `json:"token"`
	ExpiresAt *string `json:"expires_at"` // null for a token that never expires
}

// login is POST /api/admin/login: a userpass login whose iamd token
// stands in for S4's JWT.
func (a *api) login(c echo.Context) error {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		return failErr(c, err)
	}
	tok, err := a.node.S4AdminLogin(c.Request().Context(), req.Username, req.Password)
	if err != nil {
		return failErr(c, err)
	}
	out := loginResponse{Token: tok.ID}
	if !tok.Token.ExpireTime.IsZero() {
		s := rfc3339(tok.Token.ExpireTime)
		out.ExpiresAt = &s
	}
	return c.JSON(http.StatusOK, out)
}

// userResponse is S4's UserResponse. id is the IAM user ID (AIDA…), not a
// UUID; updated_at is the creation time (iamd keeps no other).
type userResponse struct {
	ID        string  `json:"id"`
	Username  string  `json:"username"`
	Role      *string `json:"role"`
	AccessKey *string `json:"access_key"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
	IsActive  bool    `json:"is_active"`
}

func userOf(v server.S4UserView) userResponse {
	out := userResponse{ID: v.UserID, Username: v.UserName, CreatedAt: rfc3339(v.CreateDate),
		UpdatedAt: rfc3339(v.CreateDate), IsActive: !v.Inactive}
	if v.Role != "" {
		out.Role = &v.Role
	}
	if v.AccessKey != "" {
		out.AccessKey = &v.AccessKey
	}
	return out
}

// listUsers is GET /users: S4's code shape {"users": [...]}.
func (a *api) listUsers(r *request) error {
	views, err := a.node.S4Users(r.aws, maxUsers)
	if err != nil {
		return failErr(r, err)
	}
	out := struct {
		Users []userResponse `json:"users"`
	}{Users: make([]userResponse, len(views))}
	for i, v := range views {
		out.Users[i] = userOf(v)
	}
	return r.JSON(http.StatusOK, out)
}

type createUserRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// createUser is POST /users: 201 with the user (S4 answers 200).
func (a *api) createUser(r *request) error {
	var req createUserRequest
	if err := decode(r, &req); err != nil {
		return failErr(r, err)
	}
	if !usernameShape.MatchString(req.Username) {
		return fail(r, http.StatusBadRequest, "Username must be 3 to 32 letters, digits or underscores")
	}
	if server.CanonicalS4Role(req.Role) == "" {
		return fail(r, http.StatusBadRequest, "Role must be Reader, Writer or SuperUser")
	}
	v, err := a.node.S4CreateUser(r.Request().Context(), r.vault, r.aws, req.Username, req.Role, req.Password)
	if err != nil {
		return failErr(r, err)
	}
	return r.JSON(http.StatusCreated, userOf(v))
}

// getUser is GET /users/{id}.
func (a *api) getUser(r *request) error {
	v, err := a.node.S4User(r.aws, r.Param("id"))
	if err != nil {
		return failErr(r, err)
	}
	return r.JSON(http.StatusOK, userOf(v))
}

type credentialResponse struct {
	AccessKey string `json:"access_key"`
	Role      string `json:"role"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

// listCredentials is GET /users/{id}/credentials (iamd's addition: S4 has
// one credential, shown on the user).
func (a *api) listCredentials(r *request) error {
	v, err := a.node.S4User(r.aws, r.Param("id"))
	if err != nil {
		return failErr(r, err)
	}
	_, keys, err := a.node.ListS3Credentials(r.aws, v.UserName)
	if err != nil {
		return failErr(r, err)
	}
	out := struct {
		Credentials []credentialResponse `json:"credentials"`
	}{Credentials: make([]credentialResponse, len(keys))}
	for i, k := range keys {
		out.Credentials[i] = credentialOf(k)
	}
	return r.JSON(http.StatusOK, out)
}

func credentialOf(k *fsm.AccessKey) credentialResponse {
	return credentialResponse{AccessKey: k.AccessKeyID, Role: k.S4Role, Status: k.Status, CreatedAt: rfc3339(k.CreateDate)}
}

// createCredential is POST /users/{id}/credentials: a new credential with
// the user's role, its secret shown once. Unlike S4 it does not replace
// the earlier ones, which work until deleted (rotation without downtime).
func (a *api) createCredential(r *request) error {
	v, err := a.node.S4User(r.aws, r.Param("id"))
	if err != nil {
		return failErr(r, err)
	}
	if v.Role == "" {
		return failErr(r, iamerr.New(iamerr.Invalid, "User %s has no role", v.UserName))
	}
	k, secret, err := a.node.CreateS3Credential(r.Request().Context(), r.aws, v.UserName, "")
	if err != nil {
		return failErr(r, err)
	}
	return r.JSON(http.StatusOK, struct {
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
	}{k.AccessKeyID, secret})
}

// deleteCredentials is DELETE /users/{id}/credentials: every credential of
// the user, as in S4, or only ?access_key=S4AK… (204 either way).
func (a *api) deleteCredentials(r *request) error {
	v, err := a.node.S4User(r.aws, r.Param("id"))
	if err != nil {
		return failErr(r, err)
	}
	if _, err := a.node.DeleteS3Credential(r.Request().Context(), r.aws, v.UserName, r.QueryParam("access_key")); err != nil {
		return failErr(r, err)
	}
	return r.NoContent(http.StatusNoContent)
}
