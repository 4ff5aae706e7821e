package server

import (
	"context"
	"strings"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/policy"
)

// STS operations (spec/aws-iam.md §5.1, §5.3). Issuing credentials writes
// nothing through Raft (sts_token.go); only an MFA code, which must be
// single-use across the cluster, costs one command.

// GetSessionToken duration bounds (seconds).
const (
	DefaultSessionTokenDuration = 43200
	MaxSessionTokenDuration     = 129600
	maxRootSessionDuration      = 3600
	maxChainedDuration          = 3600
	maxSessionPolicySize        = 2048
)

// CallerIdentity is GetCallerIdentity's answer.
type CallerIdentity struct {
	UserID, Account, Arn string
}

// GetCallerIdentity says who signed the request; never denied.
func (n *Node) GetCallerIdentity(c *AWSCaller) CallerIdentity {
	return CallerIdentity{UserID: c.UserID, Account: c.AccountID, Arn: c.Arn}
}

func stsDenied(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Denied, "AccessDenied", format, args...)
}

// GetSessionToken issues session credentials for a user or the root
// signing with long-term keys. duration 0 is the default (43200 s; the
// root's sessions last at most an hour). With serial and code the session
// is MFA-authenticated.
func (n *Node) GetSessionToken(ctx context.Context, c *AWSCaller, duration int, serial, code string) (*Credentials, error) {
	switch {
	case c.Session != nil:
		return nil, stsDenied("Cannot call GetSessionToken with session credentials")
	case c.Type == PrincipalServiceAccount:
		return nil, stsDenied("Cannot call GetSessionToken with service account credentials")
	case c.S4Role != "":
		// A session would carry the user's policies without the role.
		return nil, stsDenied("Cannot call GetSessionToken with S3 credentials")
	}
	if (serial == "") != (code == "") {
		return nil, validationError("SerialNumber and TokenCode must be given together")
	}
	if duration == 0 {
		duration = DefaultSessionTokenDuration
	}
	cl := sessionClaims{AccountID: c.AccountID, Kind: sessionUser, PrincipalID: c.UserID,
		Trusted: n.requestHasTrustedCert(ctx, c.AccountID)}
	if c.IsRoot() {
		cl.Kind, cl.PrincipalID = sessionRoot, c.AccountID
		duration = min(duration, maxRootSessionDuration)
	}
	now := n.now()
	if serial != "" {
		if err := n.useMFACode(ctx, c.AccountID, cl.PrincipalID, serial, code); err != nil {
			return nil, err
		}
		cl.MFA, cl.MFATime = true, now.UnixNano()
	}
	cl.Issued, cl.Expires = now.UnixNano(), now.Add(time.Duration(duration)*time.Second).UnixNano()
	n.capToKeyExpiry(c, &cl)
	return n.issueSession(cl)
}

// capToKeyExpiry ends a session no later than the access key it was
// opened with: a key's expiration date (the account's API access policy)
// must not be outlived by credentials derived from it.
func (n *Node) capToKeyExpiry(c *AWSCaller, cl *sessionClaims) {
	k := n.State().AccessKey(c.AccessKeyID)
	if k != nil && k.ExpirationDate != nil && k.ExpirationDate.UnixNano() < cl.Expires {
		cl.Expires = k.ExpirationDate.UnixNano()
	}
}

// AssumeRoleRequest is AssumeRole's input; Duration 0 is the default.
type AssumeRoleRequest struct {
	RoleArn, SessionName string
	Duration             int
	Policy               string
	PolicyArns           []string
	SerialNumber, Code   string
	ExternalID           string
	SourceIdentity       string
	// Tags are session tags, aws:PrincipalTag in the session; those named
	// in TransitiveTagKeys pass on to sessions it assumes in turn.
	Tags              []fsm.Tag
	TransitiveTagKeys []string
}

// AssumedRole is AssumeRole's answer.
type AssumedRole struct {
	Credentials      *Credentials
	AssumedRoleID    string
	Arn              string
	PackedPolicySize int
	SourceIdentity   string
}

// AssumeRole issues credentials for a role session (spec §5.3): the trust
// policy must allow the caller (evaluated with the caller's context, its
// MFA state and sts:ExternalId); unless it names the caller's ARN, the
// caller's identity policies must allow sts:AssumeRole on the role too; a
// Deny in either wins. A missing role is denied like a refused one.
func (n *Node) AssumeRole(ctx context.Context, c *AWSCaller, req AssumeRoleRequest) (*AssumedRole, error) {
	if c.IsRoot() {
		return nil, stsDenied("Roles may not be assumed by root accounts.")
	}
	if (req.SerialNumber == "") != (req.Code == "") {
		return nil, validationError("SerialNumber and TokenCode must be given together")
	}
	acct, roleName, ok := parseRoleArn(req.RoleArn)
	if !ok {
		return nil, validationError("%s is invalid", req.RoleArn)
	}
	denied := stsDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.Arn, req.RoleArn)
	st := n.State()
	role := st.IAMRole(c.AccountID, roleName)
	if acct != c.AccountID || role == nil || RoleArn(role) != req.RoleArn {
		return nil, denied
	}
	duration := req.Duration
	if duration == 0 {
		duration = DefaultRoleMaxDuration
	}
	if duration > role.MaxSessionDuration {
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if c.Role != nil && duration > maxChainedDuration {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	packed, err := checkSessionPolicy(req.Policy, req.PolicyArns)
	if err != nil {
		return nil, err
	}
	now := n.now()
	mfa := c.MFA
	if req.SerialNumber != "" {
		if c.User == nil || c.Type != PrincipalUser {
			return nil, stsDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
		}
		// The code is checked only once the trust policy would allow with
		// MFA, so that a refused caller cannot spend codes.
		mfa = &MFAContext{Present: true, AuthTime: now}
	}
	tc := trustCheck{caller: c, role: role, mfa: mfa, externalID: req.ExternalID}
	if tc.trust, err = policy.Parse(role.AssumeRolePolicy, policy.Trust); err != nil {
		n.log.Error("stored trust policy does not parse", "role", role.RoleID, "error", err)
		return nil, denied
	}
	if !n.trustAllows(tc, "sts:AssumeRole", nil) {
		return nil, denied
	}
	tags, transitive, err := n.sessionTags(tc, req)
	if err != nil {
		return nil, err
	}
	if req.SerialNumber != "" {
		if err := n.useMFACode(ctx, c.AccountID, c.User.UserID, req.SerialNumber, req.Code); err != nil {
			return nil, err
		}
	}
	cl := sessionClaims{AccountID: c.AccountID, Kind: sessionRole, PrincipalID: role.RoleID, SessionName: req.SessionName,
		Issued: now.UnixNano(), Expires: now.Add(time.Duration(duration) * time.Second).UnixNano(),
		Policy: req.Policy, PolicyArns: req.PolicyArns, SourceIdentity: req.SourceIdentity,
		Tags: tags, Transitive: transitive}
	n.capToKeyExpiry(c, &cl)
	if mfa != nil && mfa.Present {
		cl.MFA, cl.MFATime = true, mfa.AuthTime.UnixNano()
	}
	creds, err := n.issueSession(cl)
	if err != nil {
		return nil, err
	}
	return &AssumedRole{Credentials: creds, AssumedRoleID: role.RoleID + ":" + req.SessionName,
		Arn: AssumedRoleArn(role, req.SessionName), PackedPolicySize: packed, SourceIdentity: req.SourceIdentity}, nil
}

// trustCheck is what a role's trust policy (parsed once per AssumeRole) is
// evaluated for: the caller, its MFA state for this request and the
// ExternalId it sent.
type trustCheck struct {
	caller     *AWSCaller
	role       *fsm.IAMRole
	trust      *policy.Policy
	mfa        *MFAContext
	externalID string
}

// trustAllows evaluates the role's trust policy for action (sts:AssumeRole,
// sts:TagSession, sts:SetSourceIdentity) with the caller's context plus
// extra, then the caller's identity policies unless the trust policy names
// the caller.
func (n *Node) trustAllows(tc trustCheck, action string, extra map[string][]string) bool {
	c, role := tc.caller, tc.role
	cc := *c
	cc.MFA = tc.mfa
	ctx := n.callerContext(&cc)
	if tc.externalID != "" {
		ctx["sts:externalid"] = []string{tc.externalID}
	}
	for k, v := range extra {
		ctx[k] = v
	}
	arns := []string{c.Arn}
	if c.Role != nil {
		arns = append(arns, RoleArn(c.Role))
	}
	arns = trustedARNs(role, c, arns) // iam_trust_principals.go
	req := policy.Request{Action: action, Resource: RoleArn(role), Context: ctx,
		Principal: &policy.Principal{AWS: arns, Account: c.AccountID}}
	trust := []policy.Source{{ID: "trust", Policy: tc.trust}}
	if policy.Decide(trust, req) != policy.Allow {
		return false
	}
	ident := policy.Request{Action: req.Action, Resource: req.Resource, Context: ctx}
	switch n.callerDecision(&cc, ident) {
	case policy.ExplicitDeny:
		return false
	case policy.Allow:
		return true
	}
	return policy.AllowsNamedPrincipal(trust, req)
}

// checkSessionPolicy validates AssumeRole's Policy and PolicyArns and
// returns the packed size as a percentage of the limit.
func checkSessionPolicy(doc string, arns []string) (int, error) {
	for _, a := range arns {
		if err := checkPolicyArn(a); err != nil {
			return 0, err
		}
	}
	if doc == "" {
		return 0, nil
	}
	size := policy.Size(doc)
	if size > maxSessionPolicySize {
		return 0, iamerr.WithCode(iamerr.Invalid, "PackedPolicyTooLarge",
			"Packed size of consumed session policies exceeds 2048 characters (%d%% of the limit).", size*100/maxSessionPolicySize)
	}
	if _, err := policy.Parse(doc, policy.Session); err != nil {
		return 0, policyError(err)
	}
	return (size*100 + maxSessionPolicySize - 1) / maxSessionPolicySize, nil
}

// parseRoleArn splits arn:aws:iam::<acct>:role/<path/>name.
func parseRoleArn(arn string) (acct, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "iam" || parts[3] != "" ||
		len(parts[4]) != 12 || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	res := parts[5]
	name = res[strings.LastIndex(res, "/")+1:]
	if name == "" {
		return "", "", false
	}
	return parts[4], name, true
}

// RevokeSessions ends every session of a user (kind fsm.EntityUser), role
// (fsm.EntityRole) or, with kind "root", the account root, issued until
// now (extension action; spec: sessions of a changed principal end).
func (n *Node) RevokeSessions(ctx context.Context, c *AWSCaller, kind, name string) error {
	cmd := fsm.RevokeSessions{AccountID: c.AccountID, PrincipalType: kind, Name: name, Before: n.now()}
	st := n.State()
	var arn string
	switch kind {
	case fsm.EntityUser:
		u, a := userResource(st, c.AccountID, name)
		arn = a
		if u != nil {
			cmd.PrincipalID = u.UserID
		}
	case fsm.EntityRole:
		r, a := roleResource(st, c.AccountID, name)
		arn = a
		if r != nil {
			cmd.PrincipalID = r.RoleID
		}
	default:
		arn, cmd.PrincipalID = RootArn(c.AccountID), c.AccountID
	}
	if err := n.AuthorizeIAM(c, "iam:RevokeSessions", arn); err != nil {
		return err
	}
	if cmd.PrincipalID == "" {
		if kind == fsm.EntityRole {
			return fsm.NoSuchRole(name)
		}
		return errNoSuchUser(name)
	}
	_, err := n.apply(ctx, fsm.CmdRevokeSessions, cmd)
	return err
}

// CreateTemporaryAccessCredentials is Wasabi's compatibility action made
// safe: the request must be SigV4-signed with the caller's long-term key
// (no password is ever accepted), and when the caller has an MFA device
// enabled a code from it is required. It issues GetSessionToken's
// credentials (duration 0: the default; at most 129600 s).
func (n *Node) CreateTemporaryAccessCredentials(ctx context.Context, c *AWSCaller, duration int, code string) (*Credentials, error) {
	principal := c.UserID
	if c.IsRoot() {
		principal = c.AccountID
	}
	serial := ""
	if devs := n.State().UserMFADevices(principal); len(devs) > 0 && c.Session == nil {
		if code == "" {
			return nil, stsDenied("An MFA token is required: the user has an MFA device.")
		}
		serial = devs[0].SerialNumber
	} else if code != "" {
		return nil, stsDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
	}
	return n.GetSessionToken(ctx, c, duration, serial, code)
}
