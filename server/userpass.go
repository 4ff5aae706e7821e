package server

import (
	"context"
	"net"
	"regexp"
	"strings"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
)

// Userpass users (spec/vault.md §6.1). Names are lower-cased; passwords are
// hashed here, before the command is proposed.

// usernamePattern is Vault's GenericNameRegex: word characters, with "-"
// and "." inside.
var usernamePattern = regexp.MustCompile(`^\w(?:[\w.-]*\w)?$`)

// NormalizeUsername lower-cases and checks a user name.
func NormalizeUsername(name string) (string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return "", iamerr.New(iamerr.Invalid, "missing username")
	}
	if len(name) > 256 || !usernamePattern.MatchString(name) {
		return "", iamerr.New(iamerr.Invalid, "invalid username %q", name)
	}
	return name, nil
}

// TokenFieldsRequest are the token_* fields of a write; nil keeps the
// stored value.
type TokenFieldsRequest struct {
	Policies        *[]string
	TTL             *time.Duration
	MaxTTL          *time.Duration
	ExplicitMaxTTL  *time.Duration
	Period          *time.Duration
	BoundCIDRs      *[]string
	NoDefaultPolicy *bool
	NumUses         *int
	Type            *string
}

// merge applies the supplied fields over cur and validates the result.
func (r TokenFieldsRequest) merge(cur fsm.TokenParams) (fsm.TokenParams, error) {
	p := cur
	if r.Policies != nil {
		p.Policies = *normalizedPolicies(r.Policies)
	}
	setDur := func(dst *time.Duration, src *time.Duration) {
		if src != nil {
			*dst = *src
		}
	}
	setDur(&p.TTL, r.TTL)
	setDur(&p.MaxTTL, r.MaxTTL)
	setDur(&p.ExplicitMaxTTL, r.ExplicitMaxTTL)
	setDur(&p.Period, r.Period)
	if r.BoundCIDRs != nil {
		for _, c := range *r.BoundCIDRs {
			if _, _, err := net.ParseCIDR(c); err != nil && net.ParseIP(c) == nil {
				return p, iamerr.New(iamerr.Invalid, "invalid 'token_bound_cidrs' value %q", c)
			}
		}
		p.BoundCIDRs = *r.BoundCIDRs
	}
	if r.NoDefaultPolicy != nil {
		p.NoDefaultPolicy = *r.NoDefaultPolicy
	}
	if r.NumUses != nil {
		p.NumUses = *r.NumUses
	}
	if r.Type != nil {
		p.Type = *r.Type
	}
	switch {
	case p.TTL < 0 || p.MaxTTL < 0 || p.ExplicitMaxTTL < 0 || p.Period < 0:
		return p, iamerr.New(iamerr.Invalid, "token durations cannot be negative")
	case p.MaxTTL > 0 && p.TTL > p.MaxTTL:
		return p, iamerr.New(iamerr.Invalid, "'token_ttl' cannot be greater than 'token_max_ttl'")
	case p.NumUses < 0:
		return p, iamerr.New(iamerr.Invalid, "'token_num_uses' cannot be negative")
	}
	switch p.Type {
	case "", "default", "service", "default-service":
	case "batch", "default-batch":
		return p, iamerr.New(iamerr.Invalid, "batch tokens are not supported by iamd")
	default:
		return p, iamerr.New(iamerr.Invalid, "invalid 'token_type' value %q", p.Type)
	}
	return p, checkIdentityList("token_policies", &p.Policies)
}

// UserpassUserRequest is the input of users/:username.
type UserpassUserRequest struct {
	Password     *string
	PasswordHash *string // a bcrypt hash, instead of Password
	Token        TokenFieldsRequest
}

// userpassTarget checks the mount and normalizes the user name of a write.
func userpassTarget(m *fsm.AuthMount, username string) (string, error) {
	if err := userpassMount(m); err != nil {
		return "", err
	}
	return NormalizeUsername(username)
}

func userpassMount(m *fsm.AuthMount) error {
	if m == nil || m.Type != "userpass" {
		return iamerr.New(iamerr.NotFound, "")
	}
	return nil
}

// passwordHashFor hashes a supplied password or checks a supplied bcrypt
// hash; nil when neither was given.
func passwordHashFor(password, given *string) (*string, error) {
	switch {
	case password != nil && given != nil:
		return nil, iamerr.New(iamerr.Invalid, "only one of password or password_hash can be provided")
	case password != nil:
		if *password == "" {
			return nil, iamerr.New(iamerr.Invalid, "missing password")
		}
		h := hashPassword(*password)
		return &h, nil
	case given != nil:
		if !validBcryptHash(*given) {
			return nil, iamerr.New(iamerr.Invalid, "password_hash is not a valid bcrypt hash")
		}
		return given, nil
	}
	return nil, nil
}

// newPasswordHash checks a password being set against the account's
// password policy (password_policy.go) and hashes it; nil when the
// request sets none.
func (n *Node) newPasswordHash(m *fsm.AuthMount, username string, req UserpassUserRequest) (*string, error) {
	if err := n.checkNewPassword(m, username, req.Password); err != nil {
		return nil, err
	}
	return passwordHashFor(req.Password, req.PasswordHash)
}

// WriteUserpassUser creates or updates a user of a userpass mount.
func (n *Node) WriteUserpassUser(ctx context.Context, m *fsm.AuthMount, username string, req UserpassUserRequest) error {
	username, err := userpassTarget(m, username)
	if err != nil {
		return err
	}
	var cur fsm.TokenParams
	if u := n.State().UserpassUser(m.Accessor, username); u != nil {
		cur = u.Token
	}
	params, err := req.Token.merge(cur)
	if err != nil {
		return err
	}
	hash, err := n.newPasswordHash(m, username, req)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdPutUserpassUser, fsm.PutUserpassUser{
		MountAccessor: m.Accessor, Username: username, PasswordHash: hash, Token: &params,
	})
	return err
}

// SetUserpassPassword changes an existing user's password.
func (n *Node) SetUserpassPassword(ctx context.Context, m *fsm.AuthMount, username string, req UserpassUserRequest) error {
	username, err := userpassTarget(m, username)
	if err != nil {
		return err
	}
	hash, err := n.newPasswordHash(m, username, req)
	if err != nil {
		return err
	}
	if hash == nil {
		return iamerr.New(iamerr.Invalid, "missing password")
	}
	_, err = n.apply(ctx, fsm.CmdPutUserpassUser, fsm.PutUserpassUser{
		MountAccessor: m.Accessor, Username: username, PasswordHash: hash, MustExist: true,
	})
	return err
}

// SetUserpassPolicies replaces an existing user's token policies.
func (n *Node) SetUserpassPolicies(ctx context.Context, m *fsm.AuthMount, username string, policies []string) error {
	username, err := userpassTarget(m, username)
	if err != nil {
		return err
	}
	p := normalizedPolicies(&policies)
	if err := checkIdentityList("token_policies", p); err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdPutUserpassUser, fsm.PutUserpassUser{
		MountAccessor: m.Accessor, Username: username, Policies: p, MustExist: true,
	})
	return err
}

// DeleteUserpassUser deletes a user; a missing one is not an error.
func (n *Node) DeleteUserpassUser(ctx context.Context, m *fsm.AuthMount, username string) error {
	if err := userpassMount(m); err != nil {
		return err
	}
	username = strings.ToLower(strings.TrimSpace(username))
	_, err := n.apply(ctx, fsm.CmdDeleteUserpassUser, fsm.DeleteUserpassUser{MountAccessor: m.Accessor, Username: username})
	return err
}
