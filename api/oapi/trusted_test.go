package oapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	osc "github.com/outscale/osc-sdk-go/v2"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/api/apitest"
)

// TestTrustedSession (spec §1.8): with RequireTrustedEnv, a session opened
// by GetSessionToken over a certificate a CA rule admits needs no
// certificate afterwards, except for the security administration actions
// (OAPI code 4; IAM key actions AccessDenied). Long-term keys and the same
// session before RequireTrustedEnv still need the certificate.
func TestTrustedSession(t *testing.T) {
	d, roots, p := startTLS(t)
	team := p.newCA("team CA")
	alice := team.issue(t, "alice", false)
	withCert, noCert := httpsClient(roots, &alice), httpsClient(roots, nil)
	ac, actx := oscClient(d, d.AccessKey, d.SecretKey, withCert)

	// Only certificates from the team CA are admitted: a CA rule, then the
	// default (IP-only) rule deleted.
	created, _, err := ac.CaApi.CreateCa(actx).CreateCaRequest(osc.CreateCaRequest{CaPem: team.PEM}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	caID := created.Ca.GetCaId()
	if _, _, err := ac.ApiAccessRuleApi.CreateApiAccessRule(actx).CreateApiAccessRuleRequest(osc.CreateApiAccessRuleRequest{
		CaIds: &[]string{caID}}).Execute(); err != nil {
		t.Fatal(err)
	}
	rules, _, err := ac.ApiAccessRuleApi.ReadApiAccessRules(actx).ReadApiAccessRulesRequest(osc.ReadApiAccessRulesRequest{}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.GetApiAccessRules() {
		if len(r.GetCaIds()) == 0 {
			if _, _, err := ac.ApiAccessRuleApi.DeleteApiAccessRule(actx).DeleteApiAccessRuleRequest(osc.DeleteApiAccessRuleRequest{
				ApiAccessRuleId: r.GetApiAccessRuleId()}).Execute(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A session opened with the certificate, before RequireTrustedEnv; with
	// MFA, since IAM refuses sessions without it.
	serial, seed := enrolRootMFA(t, iamFor(d, withCert, d.AccessKey, d.SecretKey, ""), d.AccountID)
	creds := getSessionToken(t, d, withCert, serial, totpCode(t, seed, time.Now().Add(30*time.Second)))
	sessionNoCert := stsFor(d, noCert, aws.Credentials{AccessKeyID: *creds.AccessKeyId, SecretAccessKey: *creds.SecretAccessKey, SessionToken: *creds.SessionToken})
	if _, err := sessionNoCert.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); awsCode(t, err) != "AccessDenied" {
		t.Fatalf("session without certificate before RequireTrustedEnv: %v", err)
	}

	// RequireTrustedEnv needs every key to expire: the root key first.
	exp := time.Now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000-0700")
	if _, _, err := ac.AccessKeyApi.UpdateAccessKey(actx).UpdateAccessKeyRequest(osc.UpdateAccessKeyRequest{
		AccessKeyId: d.AccessKey, State: osc.PtrString("ACTIVE"), ExpirationDate: &exp}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ac.ApiAccessPolicyApi.UpdateApiAccessPolicy(actx).UpdateApiAccessPolicyRequest(osc.UpdateApiAccessPolicyRequest{
		MaxAccessKeyExpirationSeconds: 90 * 24 * 3600, RequireTrustedEnv: true}).Execute(); err != nil {
		t.Fatal(err)
	}

	// Without a certificate: the session opened with one passes ordinary
	// calls on both AWS services...
	if _, err := sessionNoCert.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("trusted session without certificate, GetCallerIdentity: %v", err)
	}
	sessionIAM := iamFor(d, noCert, *creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken)
	if _, err := sessionIAM.ListUsers(context.Background(), &iam.ListUsersInput{}); err != nil {
		t.Fatalf("trusted session without certificate, ListUsers: %v", err)
	}
	// ...but not the excluded ones, on OAPI (code 4) or IAM.
	sessionCreds := aws.Credentials{AccessKeyID: *creds.AccessKeyId, SecretAccessKey: *creds.SecretAccessKey, SessionToken: *creds.SessionToken}
	for _, action := range []string{"ReadApiAccessPolicy", "ReadAccessKeys", "ReadApiAccessRules", "ReadCas", "CreateAccessKey"} {
		r := postAs(t, d, noCert, sessionCreds, action, `{}`)
		if r.Status != http.StatusUnauthorized || r.code() != "4" || !strings.Contains(r.details(), "client certificate") {
			t.Fatalf("%s in a trusted session without certificate: %d %v", action, r.Status, r.Body)
		}
	}
	if _, err := sessionIAM.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{}); awsCode(t, err) != "AccessDenied" ||
		!strings.Contains(err.Error(), "client certificate") {
		t.Fatalf("IAM CreateAccessKey in a trusted session without certificate: %v", err)
	}
	// With the certificate they pass.
	if r := postAs(t, d, withCert, sessionCreds, "ReadApiAccessPolicy", `{}`); r.Status != http.StatusOK {
		t.Fatalf("ReadApiAccessPolicy in a trusted session with certificate: %d %v", r.Status, r.Body)
	}

	// Long-term keys are never trusted: without the certificate they are
	// refused by the rules (code 14), and cannot open a session either.
	if r := postAs(t, d, noCert, aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}, "ReadAccessKeys", `{}`); r.code() != "14" {
		t.Fatalf("root key without certificate: %d %v", r.Status, r.Body)
	}
	if _, err := stsFor(d, noCert, aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}).
		GetSessionToken(context.Background(), &sts.GetSessionTokenInput{}); awsCode(t, err) != "AccessDenied" {
		t.Fatalf("GetSessionToken without certificate: %v", err)
	}
}

// enrolRootMFA gives the root a virtual MFA device, enabled with the codes
// of the previous and the current period.
func enrolRootMFA(t *testing.T, c *iam.Client, accountID string) (serial, seed string) {
	t.Helper()
	out, err := c.CreateVirtualMFADevice(context.Background(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("root-device")})
	if err != nil {
		t.Fatal(err)
	}
	serial, seed = *out.VirtualMFADevice.SerialNumber, string(out.VirtualMFADevice.Base32StringSeed)
	now := time.Now()
	if _, err := c.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{SerialNumber: aws.String(serial), UserName: aws.String(accountID),
		AuthenticationCode1: aws.String(totpCode(t, seed, now.Add(-30*time.Second))),
		AuthenticationCode2: aws.String(totpCode(t, seed, now))}); err != nil {
		t.Fatal(err)
	}
	return serial, seed
}

func totpCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func getSessionToken(t *testing.T, d *apitest.Dev, hc *http.Client, serial, code string) *ststypes.Credentials {
	t.Helper()
	out, err := stsFor(d, hc, aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}).
		GetSessionToken(context.Background(), &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	return out.Credentials
}

func stsFor(d *apitest.Dev, hc *http.Client, c aws.Credentials) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(d.URL), Region: "eu-west-2", HTTPClient: hc, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)})
}

func iamFor(d *apitest.Dev, hc *http.Client, ak, sk, token string) *iam.Client {
	return iam.New(iam.Options{BaseEndpoint: aws.String(d.URL), Region: "eu-west-2", HTTPClient: hc, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, token)})
}

// awsCode is the AWS error code of err ("" for nil).
func awsCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an AWS API error: %v", err)
	}
	return ae.ErrorCode()
}
