package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// TestSignatureLockoutAcrossNodes: four wrong signatures sent to one
// follower lock the key (counted in FSM Apply through Raft), so the right
// secret is then refused on the other nodes too, without them having seen
// a single failure.
func TestSignatureLockoutAcrossNodes(t *testing.T) {
	nodes, init := initializedCluster(t)
	ctx := context.Background()
	iamOn := func(n *testNode, ak, sk string) *iam.Client {
		return iam.New(iam.Options{BaseEndpoint: aws.String(n.url()), Region: "us-east-1", RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	}
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return ""
	}

	root := iamOn(nodes[0], init.RootAccessKeyID, init.RootSecretAccessKey)
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sam")}); err != nil {
		t.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("sam")})
	if err != nil {
		t.Fatal(err)
	}
	ak, sk := *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey
	// The key works on both followers once replicated (a success also
	// proves no counter is left over). n2 must have it too: until it
	// does, a wrong signature there is an unknown key, not a failure.
	for _, n := range []*testNode{nodes[1], nodes[2]} {
		var lastErr error
		for i := 0; i < 100; i++ {
			if _, lastErr = iamOn(n, ak, sk).GetUser(ctx, &iam.GetUserInput{}); lastErr == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if lastErr != nil {
			t.Fatalf("key not usable on %s: %v", n.id, lastErr)
		}
	}

	// Four wrong signatures through n2, a follower (its counter writes are
	// forwarded to the leader).
	wrong := iamOn(nodes[1], ak, "wrong"+sk[5:])
	for i := 0; i < 4; i++ {
		if _, err := wrong.GetUser(ctx, &iam.GetUserInput{}); code(err) != "SignatureDoesNotMatch" {
			t.Fatalf("wrong signature %d: %v", i+1, err)
		}
	}
	// The right secret is refused on every node, n3 first: until n3 has
	// applied the lock it may still admit the request, but the reset that
	// success asks for must not lift the lock (Apply keeps it).
	for _, n := range []*testNode{nodes[2], nodes[0], nodes[1]} {
		var err error
		for i := 0; i < 100; i++ {
			if _, err = iamOn(n, ak, sk).GetUser(ctx, &iam.GetUserInput{}); code(err) == "AccessDenied" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if code(err) != "AccessDenied" || !strings.Contains(err.Error(), "locked") {
			t.Fatalf("right secret on locked key via %s: %v", n.id, err)
		}
	}
	// Other keys are not affected.
	if _, err := iamOn(nodes[2], init.RootAccessKeyID, init.RootSecretAccessKey).GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("root key on n3: %v", err)
	}
}
