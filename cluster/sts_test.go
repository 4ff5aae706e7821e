package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/server"
)

// TestSTSSessionsAcrossNodes: session credentials need no Raft write, so a
// session issued on one node signs on every node; an MFA code used on one
// node is refused on another (decided in FSM Apply); a revocation applied
// once ends the session everywhere.
func TestSTSSessionsAcrossNodes(t *testing.T) {
	nodes, init := initializedCluster(t)
	ctx := context.Background()
	opts := func(n *testNode, ak, sk, token string) (string, aws.CredentialsProvider) {
		return n.url(), credentials.NewStaticCredentialsProvider(ak, sk, token)
	}
	iamOn := func(n *testNode, ak, sk, token string) *iam.Client {
		url, cp := opts(n, ak, sk, token)
		return iam.New(iam.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Credentials: cp, RetryMaxAttempts: 1})
	}
	stsOn := func(n *testNode, ak, sk, token string) *sts.Client {
		url, cp := opts(n, ak, sk, token)
		return sts.New(sts.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Credentials: cp, RetryMaxAttempts: 1})
	}
	// eventually retries f until it succeeds (replication to followers).
	eventually := func(what string, f func() error) {
		t.Helper()
		var err error
		for i := 0; i < 100; i++ {
			if err = f(); err == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: %v", what, err)
	}
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return ""
	}

	root := iamOn(nodes[0], init.RootAccessKeyID, init.RootSecretAccessKey, "")
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sam")}); err != nil {
		t.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("sam")})
	if err != nil {
		t.Fatal(err)
	}
	ak, sk := *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey

	// Enrol a device through n1 (self-service).
	sam := iamOn(nodes[0], ak, sk, "")
	dev, err := sam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("sam")})
	if err != nil {
		t.Fatal(err)
	}
	seed := string(dev.VirtualMFADevice.Base32StringSeed)
	opt := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	now := time.Now()
	c1, _ := totp.GenerateCodeCustom(seed, now.Add(-30*time.Second), opt)
	c2, _ := totp.GenerateCodeCustom(seed, now, opt)
	if _, err := sam.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("sam"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)}); err != nil {
		t.Fatal(err)
	}
	// The next period's code (the current one was spent enabling).
	c3, _ := totp.GenerateCodeCustom(seed, now.Add(30*time.Second), opt)

	// Issue on n2 with the code, use on n3.
	var sess *sts.GetSessionTokenOutput
	eventually("GetSessionToken on n2", func() error {
		var err error
		sess, err = stsOn(nodes[1], ak, sk, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{
			SerialNumber: dev.VirtualMFADevice.SerialNumber, TokenCode: aws.String(c3)})
		return err
	})
	cr := sess.Credentials
	id, err := stsOn(nodes[2], *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Arn != "arn:aws:iam::"+init.AccountID+":user/sam" {
		t.Fatalf("session from n2 on n3: %v %v", id, err)
	}
	// The code used through n2 is refused through n3.
	_, err = stsOn(nodes[2], ak, sk, "").GetSessionToken(ctx, &sts.GetSessionTokenInput{
		SerialNumber: dev.VirtualMFADevice.SerialNumber, TokenCode: aws.String(c3)})
	if code(err) != "AccessDenied" {
		t.Fatalf("reused code on another node: %v", err)
	}

	// Revoke through a follower; the session ends on every node.
	if err := nodes[2].node.RevokeSessions(ctx, &server.AWSCaller{AccountID: init.AccountID, Type: server.PrincipalRoot,
		Arn: server.RootArn(init.AccountID), UserID: init.AccountID}, "user", "sam"); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n := n
		eventually("revoked on "+n.id, func() error {
			_, err := stsOn(n, *cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if code(err) == "InvalidClientTokenId" {
				return nil
			}
			return errors.New("session still accepted")
		})
	}
}
