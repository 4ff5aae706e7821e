package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	vaultapi "github.com/hashicorp/vault/api"
)

// TestReadYourWritesOnFollower: a client that writes through a follower and
// then sends its next request to the same follower sees its write, without
// sending X-Iamd-Index back (the AWS SDKs and the Vault client never do).
// The follower forwards the write to the leader and must not answer before
// it has applied the entry itself.
func TestReadYourWritesOnFollower(t *testing.T) {
	nodes, init := initializedCluster(t)
	var follower *testNode
	for _, n := range nodes {
		if !n.node.Status().IsLeader {
			follower = n
			break
		}
	}
	if follower == nil {
		t.Fatal("no follower")
	}
	ctx := context.Background()
	const rounds = 30

	t.Run("iam", func(t *testing.T) {
		c := iam.New(iam.Options{BaseEndpoint: aws.String(follower.url()), Region: "us-east-1", RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(init.RootAccessKeyID, init.RootSecretAccessKey, "")})
		for i := 0; i < rounds; i++ {
			name := fmt.Sprintf("ryw-%d", i)
			err := retryUnavailable(func(retry bool) error {
				_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
				if retry && awsCode(err) == "EntityAlreadyExists" { // the attempt that got 503 did it
					return nil
				}
				return err
			})
			if err != nil {
				t.Fatalf("CreateUser %s on %s: %v", name, follower.id, err)
			}
			err = retryUnavailable(func(bool) error {
				_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
				return err
			})
			if err != nil {
				t.Fatalf("round %d: CreateAccessKey for the user just created on %s: %v", i, follower.id, err)
			}
		}
	})

	t.Run("vault", func(t *testing.T) {
		c := follower.client(rootToken)
		err := retryUnavailable(func(retry bool) error {
			err := c.Sys().EnableAuthWithOptions("userpass", &vaultapi.EnableAuthOptions{Type: "userpass"})
			if retry && err != nil && strings.Contains(err.Error(), "already in use") {
				return nil
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < rounds; i++ {
			path := fmt.Sprintf("auth/userpass/users/ryw-%d", i)
			err := retryUnavailable(func(bool) error {
				_, err := c.Logical().Write(path, map[string]any{"password": "pw-for-tests", "token_policies": "default"})
				return err
			})
			if err != nil {
				t.Fatalf("write %s on %s: %v", path, follower.id, err)
			}
			s, err := c.Logical().Read(path)
			if err != nil || s == nil {
				t.Fatalf("round %d: read %s right after writing it on %s: %v %v", i, path, follower.id, s, err)
			}
		}
	})
}

// retryUnavailable calls f again (at most 5 times in all) while it fails
// with 503: under load the test cluster's short leader lease can lapse and
// a write then fails with "leadership lost"; that is not what the test is
// about. retry tells f that an earlier attempt may have been applied.
func retryUnavailable(f func(retry bool) error) error {
	err := f(false)
	for i := 1; i < 5 && unavailable(err); i++ {
		time.Sleep(200 * time.Millisecond)
		err = f(true)
	}
	return err
}

func unavailable(err error) bool {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode == 503
	}
	return awsCode(err) == "ServiceUnavailable"
}

func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
