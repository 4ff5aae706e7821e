package awsquery_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/api/apitest"
)

// testClock is the node's clock: real time plus an offset the test moves,
// kept under SigV4's 15 minutes when SDK clients (real time) sign.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func startWithClock(t *testing.T) (*apitest.Dev, *testClock) {
	clock := &testClock{}
	return apitest.StartDev(t, apitest.Options{Now: clock.Now}), clock
}

// stsClient is an aws-sdk-go-v2 STS client signing with (ak, sk, token).
func stsClient(d *apitest.Dev, ak, sk, token string) *sts.Client {
	return sts.New(sts.Options{
		BaseEndpoint:     aws.String(d.URL),
		Region:           "eu-west-3",
		Credentials:      credentials.NewStaticCredentialsProvider(ak, sk, token),
		RetryMaxAttempts: 1,
	})
}

// sessionIAM is an IAM client signing with STS session credentials.
func sessionIAM(d *apitest.Dev, c *ststypes.Credentials) *iam.Client {
	return iamSessionClient(d, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

func sessionSTS(d *apitest.Dev, c *ststypes.Credentials) *sts.Client {
	return stsClient(d, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

// userKey creates a user with an access key and returns the key.
func userKey(t *testing.T, d *apitest.Dev, name string) (ak, sk string) {
	t.Helper()
	root := rootClient(d)
	must[*iam.CreateUserOutput](t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	return *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey
}

// codeAt is the device's TOTP code at time at, as an authenticator app
// computes it.
func codeAt(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// seedOf decodes Base32StringSeed (base64 of the base32 text on the wire;
// the SDK has already removed the base64).
func seedOf(out *iam.CreateVirtualMFADeviceOutput) string {
	return string(out.VirtualMFADevice.Base32StringSeed)
}

// enrol creates a device as c and enables it for user (""= caller) with
// the codes of the previous and the current period of clock.
func enrol(t *testing.T, c *iam.Client, clock *testClock, device, user string) (serial, seed string) {
	t.Helper()
	out := must[*iam.CreateVirtualMFADeviceOutput](t)(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String(device)}))
	serial, seed = *out.VirtualMFADevice.SerialNumber, seedOf(out)
	now := clock.Now()
	in := &iam.EnableMFADeviceInput{SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(codeAt(t, seed, now.Add(-30*time.Second))),
		AuthenticationCode2: aws.String(codeAt(t, seed, now))}
	if user != "" {
		in.UserName = aws.String(user)
	}
	must[*iam.EnableMFADeviceOutput](t)(c.EnableMFADevice(ctx, in))
	return serial, seed
}

// signedSessionPost POSTs params signed with creds (a session token
// included) for service at time at.
func signedSessionPost(t *testing.T, d *apitest.Dev, creds aws.Credentials, service string, at time.Time, params url.Values) rawResponse {
	t.Helper()
	body := params.Encode()
	req, err := http.NewRequest(http.MethodPost, d.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func awsCreds(c *ststypes.Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
}

var callerIdentityForm = form("Action", "GetCallerIdentity", "Version", "2011-06-15")

// b64 is base64 of s, for comparing raw XML blobs.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
