package awsquery_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api"
	"iamd/api/apitest"
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
					r := req.Clone(req.Context())
					r.Body, r.ContentLength = nopCloser{strings.NewReader(body)}, int64(len(body))
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != 200 {
						b.Fatalf("%d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
