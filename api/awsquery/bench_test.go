package awsquery_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api"
	"iamd/api/apitest"
	"iamd/server"
	"iamd/server/config"
)

// BenchmarkSignedGetUser measures the server side of one signed GetUser
// (parse, authenticate, authorize, render) without the network: a user
// signing for itself, the root for itself, and the root reading a named
// user (what scripts/bench sends).
func BenchmarkSignedGetUser(b *testing.B) {
	d := apitest.StartDev(b)
	c := rootClient(d)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	h := api.New(d.Node, config.DefaultMaxRequestSize)
	for _, tc := range []struct{ name, ak, sk, body string }{
		{"user", *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "Action=GetUser&Version=2010-05-08"},
		{"root", d.AccessKey, d.SecretKey, "Action=GetUser&Version=2010-05-08"},
		{"root-named", d.AccessKey, d.SecretKey, "Action=GetUser&UserName=bench&Version=2010-05-08"},
	} {
		body := tc.body
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, d.URL+"/", nil)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sign(b, req, body, aws.Credentials{AccessKeyID: tc.ak, SecretAccessKey: tc.sk}, time.Now())
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serveSigned(b, h, req, body)
				}
			})
		})
	}
}

// serveSigned sends a copy of the signed request req, with body, to h and
// fails unless it is answered 200.
func serveSigned(b *testing.B, h http.Handler, req *http.Request, body string) {
	r := req.Clone(req.Context())
	r.Body, r.ContentLength = nopCloser{strings.NewReader(body)}, int64(len(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		b.Fatalf("%d %s", w.Code, w.Body)
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// BenchmarkSignedGetUserManyKeys is BenchmarkSignedGetUser's "user" case
// when the signer changes on every request and the node's per-key caches
// cannot hold them (what a node sees with a million users signing at
// random, scripts/bench -scale): 1,000 users with a key each, each signing
// its own GetUser, sent round-robin, with the signing-key and
// opened-secret caches cut to 64 entries. Against the "user" case it
// shows what a cache miss costs: the signing-key derivation, the AES-GCM
// open of the secret, the user's policy set, and their garbage.
func BenchmarkSignedGetUserManyKeys(b *testing.B) {
	defer func(k, s int) { server.KeyCacheSize, server.SecretCacheSize = k, s }(server.KeyCacheSize, server.SecretCacheSize)
	server.KeyCacheSize, server.SecretCacheSize = 64, 64
	d := apitest.StartDev(b)
	root := &server.AWSCaller{AccountID: d.AccountID, Type: server.PrincipalRoot, Arn: server.RootArn(d.AccountID), UserID: d.AccountID}
	const users = 1000
	const body = "Action=GetUser&Version=2010-05-08"
	reqs := make([]*http.Request, users)
	for i := range reqs {
		u, err := d.Node.CreateIAMUser(ctx, root, server.CreateUserRequest{Name: fmt.Sprintf("many%04d", i)})
		if err != nil {
			b.Fatal(err)
		}
		k, secret, err := d.Node.CreateIAMAccessKey(ctx, root, server.CreateAccessKeyRequest{UserName: u.UserName})
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = httptest.NewRequest(http.MethodPost, d.URL+"/", nil)
		reqs[i].Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sign(b, reqs[i], body, aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: secret}, time.Now())
	}
	h := api.New(d.Node, config.DefaultMaxRequestSize)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveSigned(b, h, reqs[next.Add(1)%users], body)
		}
	})
}

// BenchmarkSignedCreateDeleteUser measures the server side of one signed
// write, as scripts/bench sends them: the root creates a user, then
// deletes it (one iteration is the pair). It covers the request, the
// audit envelope, the Raft apply on the dev node's in-memory log and the
// answer, one write at a time. The requests are signed ahead, in chunks,
// with the timer stopped.
func BenchmarkSignedCreateDeleteUser(b *testing.B) {
	d := apitest.StartDev(b)
	h := api.New(d.Node, config.DefaultMaxRequestSize)
	creds := aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}
	type signed struct {
		req  *http.Request
		body string
	}
	const chunk = 512
	pairs := make([][2]signed, 0, chunk)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i%chunk == 0 {
			b.StopTimer()
			pairs = pairs[:0]
			for j := range chunk {
				var pair [2]signed
				for k, action := range []string{"CreateUser", "DeleteUser"} {
					body := fmt.Sprintf("Action=%s&UserName=w%d-%d&Version=2010-05-08", action, i, j)
					req := httptest.NewRequest(http.MethodPost, d.URL+"/", nil)
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					sign(b, req, body, creds, time.Now())
					pair[k] = signed{req, body}
				}
				pairs = append(pairs, pair)
			}
			b.StartTimer()
		}
		for _, s := range pairs[i%chunk] {
			serveSigned(b, h, s.req, s.body)
		}
	}
}
