// Command benchsigned measures signed read throughput of the AWS query API:
// for each client count it runs that many concurrent aws-sdk-go-v2 IAM
// clients calling GetUser (SigV4 verification, key lookup, authorization,
// XML answer) and prints calls per second and latency percentiles.
//
// With -as=user (the default) it creates a user and an access key first and
// signs with that key, so every call also evaluates the user's policies
// (GetUser on itself passes by self-service); -as=root signs with the root
// key, which skips policy evaluation. scripts/bench-signed-read.sh starts a
// dev server for it.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/scripts/internal/closedloop"
)

func main() {
	addr := flag.String("addr", "http://127.0.0.1:8200", "node API address")
	ak := flag.String("ak", os.Getenv("AWS_ACCESS_KEY_ID"), "root access key ID")
	sk := flag.String("sk", os.Getenv("AWS_SECRET_ACCESS_KEY"), "root secret access key")
	as := flag.String("as", "user", "sign as: user (a fresh IAM user's key) or root")
	clients := flag.String("clients", "1,16,64", "comma-separated concurrent client counts")
	duration := flag.Duration("duration", 5*time.Second, "how long each run lasts")
	flag.Parse()
	counts, err := closedloop.Counts(*clients)
	if err != nil {
		fatal(err)
	}

	tr := &http.Transport{MaxIdleConnsPerHost: 512}
	ctx := context.Background()
	root := client(*addr, *ak, *sk, tr)
	signAK, signSK := *ak, *sk
	if *as == "user" {
		name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			fatal(err)
		}
		k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			fatal(err)
		}
		signAK, signSK = *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey
		defer func() {
			root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: aws.String(signAK)})
			root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
		}()
	}
	fmt.Printf("%s, signed GetUser as %s, %s per run\n\n", *addr, *as, *duration)
	closedloop.PrintHeader("calls")
	for _, n := range counts {
		closedloop.Run(n, *duration, func(int) func() error {
			c := client(*addr, signAK, signSK, tr)
			return func() error {
				_, err := c.GetUser(context.Background(), &iam.GetUserInput{})
				return err
			}
		}).Print()
	}
}

func client(addr, ak, sk string, tr *http.Transport) *iam.Client {
	return iam.New(iam.Options{
		BaseEndpoint:     aws.String(addr),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(ak, sk, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: tr, Timeout: 30 * time.Second},
	})
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
