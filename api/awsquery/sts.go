package awsquery

import (
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// STS (Version 2011-06-15) on the same endpoint (spec §5.1): answers and
// errors carry the STS namespace; the SigV4 scope service is sts.

const (
	// STSVersion is the STS query API version.
	STSVersion = "2011-06-15"
	// STSNamespace is the xmlns of STS answers.
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// stsDialect is declared during variable initialisation, before any init
// function registers STS actions.
var stsDialect = func() string {
	registerDialect(STSVersion, STSNamespace, "sts")
	return STSVersion
}()

func init() {
	registerVersionAction(stsDialect, "GetCallerIdentity", getCallerIdentity)
	registerVersionAction(stsDialect, "GetSessionToken", getSessionToken)
	registerVersionAction(stsDialect, "AssumeRole", assumeRole)
	registerAction("RevokeSessions", revokeSessions)
}

var (
	roleSessionNameRule = Rule{Min: 2, Max: 64, Pattern: NewPattern(`[\w+=,.@-]*`)}
	externalIDRule      = Rule{Min: 2, Max: 1224, Pattern: NewPattern(`[\w+=,.@:/-]*`)}
	sessionPolicyRule   = Rule{Min: 1, Max: 2048, Pattern: NewPatternAs(`[\x{09}\x{0A}\x{0D}\x{20}-\x{FF}]+`, `[\u0009\u000A\u000D\u0020-\u00FF]+`)}
	sourceIdentityRule  = Rule{Min: 2, Max: 64, Pattern: NewPattern(`[\w+=,.@-]*`)}
	roleArnRule         = Rule{Min: 20, Max: 2048}
)

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func getCallerIdentity(r *Request) (any, error) {
	id := r.Node.GetCallerIdentity(r.Caller)
	return callerIdentityResult{UserID: id.UserID, Account: id.Account, Arn: id.Arn}, nil
}

type credentialsXML struct {
	AccessKeyID     string    `xml:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken"`
	Expiration      time.Time `xml:"Expiration"`
}

func credentialsOf(c *server.Credentials) credentialsXML {
	return credentialsXML{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: c.Expiration.UTC()}
}

type getSessionTokenResult struct {
	Credentials credentialsXML `xml:"Credentials"`
}

func getSessionToken(r *Request) (any, error) {
	p := r.Params
	duration := p.Int("DurationSeconds", server.MinSessionDuration, server.MaxSessionTokenDuration, 0)
	serial := p.String("SerialNumber", SerialNumberRule)
	code := p.String("TokenCode", AuthCodeRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	creds, err := r.Node.GetSessionToken(r.Ctx, r.Caller, duration, serial, code)
	if err != nil {
		return nil, err
	}
	return getSessionTokenResult{Credentials: credentialsOf(creds)}, nil
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials      credentialsXML     `xml:"Credentials"`
	AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
	PackedPolicySize int                `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string             `xml:"SourceIdentity,omitempty"`
}

func assumeRole(r *Request) (any, error) {
	p := r.Params
	req := server.AssumeRoleRequest{
		RoleArn:        p.String("RoleArn", roleArnRule.Req()),
		SessionName:    p.String("RoleSessionName", roleSessionNameRule.Req()),
		Duration:       p.Int("DurationSeconds", server.MinSessionDuration, server.MaxRoleMaxDuration, 0),
		Policy:         p.String("Policy", sessionPolicyRule),
		SerialNumber:   p.String("SerialNumber", SerialNumberRule),
		Code:           p.String("TokenCode", AuthCodeRule),
		ExternalID:     p.String("ExternalId", externalIDRule),
		SourceIdentity: p.String("SourceIdentity", sourceIdentityRule),
		Tags:           p.Tags("Tags", false),
	}
	req.TransitiveTagKeys, _ = p.List("TransitiveTagKeys", Rule{Min: 1, Max: 128, Pattern: tagKeyRule.Pattern}, MaxTags, false)
	arns, _ := p.Members("PolicyArns", 10, false)
	for _, m := range arns {
		req.PolicyArns = append(req.PolicyArns, m.String("arn", PolicyArnRule))
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	out, err := r.Node.AssumeRole(r.Ctx, r.Caller, req)
	if err != nil {
		return nil, err
	}
	return assumeRoleResult{Credentials: credentialsOf(out.Credentials),
		AssumedRoleUser:  assumedRoleUserXML{AssumedRoleID: out.AssumedRoleID, Arn: out.Arn},
		PackedPolicySize: out.PackedPolicySize, SourceIdentity: out.SourceIdentity}, nil
}

// revokeSessions is iamd's extension RevokeSessions: RoleName or UserName
// (neither: the root's sessions) ends every STS session of that principal
// issued until now, on every node (server/sts_token.go).
func revokeSessions(r *Request) (any, error) {
	p := r.Params
	role := p.String("RoleName", RoleNameRule)
	user := p.String("UserName", ExistingUserNameRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	switch {
	case role != "" && user != "":
		return nil, iamerr.WithCode(iamerr.Invalid, "InvalidInput", "Give RoleName or UserName, not both.")
	case role != "":
		return nil, r.Node.RevokeSessions(r.Ctx, r.Caller, fsm.EntityRole, role)
	case user != "":
		return nil, r.Node.RevokeSessions(r.Ctx, r.Caller, fsm.EntityUser, user)
	}
	return nil, r.Node.RevokeSessions(r.Ctx, r.Caller, "root", "")
}
