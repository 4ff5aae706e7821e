package awsquery

import (
	"time"

	"iamd/iamerr"
	"iamd/server"
)

// Wasabi's CreateTemporaryAccessCredentials (account-security.md §2.2) as
// a compatibility action on the IAM endpoint. Wasabi authenticates it with
// the account's password in the form; iamd never accepts a password (and
// refuses one outright when it travels in the URL): the request is signed
// like any other, SessionName is accepted and ignored, DurationSeconds (or
// Wasabi's "expires") bounds the session, and TokenCode (or "mfa_token")
// is required when the caller has an MFA device.

func init() {
	registerAction("CreateTemporaryAccessCredentials", createTemporaryAccessCredentials)
}

type temporaryAccessKeyXML struct {
	AccessKeyID     string    `xml:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken"`
	Expires         time.Time `xml:"Expires"`
}

type temporaryCredentialsResult struct {
	AccessKey temporaryAccessKeyXML `xml:"AccessKey"`
}

func createTemporaryAccessCredentials(r *Request) (any, error) {
	q := r.HTTP.URL.Query()
	if q.Has("Password") || q.Has("password") {
		return nil, errorWithCode(iamerr.Invalid, "InvalidQueryParameter", "A password must never travel in a URL.")
	}
	p := r.Params
	if p.Has("Password") || p.Has("password") {
		return nil, errorWithCode(iamerr.Invalid, "InvalidInput", "Password authentication is not supported: sign the request with an access key.")
	}
	p.String("SessionName", Rule{Max: 64})
	durationName, codeName := "DurationSeconds", "TokenCode"
	if !p.Has(durationName) && p.Has("expires") {
		durationName = "expires"
	}
	if !p.Has(codeName) && p.Has("mfa_token") {
		codeName = "mfa_token"
	}
	duration := p.Int(durationName, server.MinSessionDuration, server.MaxSessionTokenDuration, 0)
	code := p.String(codeName, AuthCodeRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	c, err := r.Node.CreateTemporaryAccessCredentials(r.Ctx, r.Caller, duration, code)
	if err != nil {
		return nil, err
	}
	return temporaryCredentialsResult{AccessKey: temporaryAccessKeyXML{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Expires: c.Expiration.UTC()}}, nil
}
