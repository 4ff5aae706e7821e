package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The request each phase sends. iamd clients spread over the three nodes
// (client c talks to node c%3), like etcd clients over its members.

// valueSize is the size of an etcd value: the order of a GetUser answer.
const valueSize = 512

var etcdValue = strings.Repeat("v", valueSize)

func etcdGet(e *etcdCluster, keys int) op {
	return func(c, i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := e.clients[c%len(e.clients)].Get(ctx, fmt.Sprintf("bench/users/u%07d", (c*7919+i)%keys), clientv3.WithSerializable())
		if err != nil {
			return err
		}
		if len(resp.Kvs) != 1 {
			return fmt.Errorf("etcd get: %d keys", len(resp.Kvs))
		}
		return nil
	}
}

func etcdPut(e *etcdCluster, run string) op {
	return func(c, i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := e.clients[c%len(e.clients)].Put(ctx, fmt.Sprintf("bench/w/%s/%d/%d", run, c, i), etcdValue)
		return err
	}
}

// etcdLoad writes the keys etcdGet reads.
func etcdLoad(e *etcdCluster, keys int) error {
	for i := 0; i < keys; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := e.all.Put(ctx, fmt.Sprintf("bench/users/u%07d", i), etcdValue)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// vaultReq sends one Vault-style request to node c%3 and wants a 2xx.
func vaultReq(ic *iamdCluster, method, path, token string, body func(c, i int) string) op {
	return func(c, i int) error {
		var rd io.Reader
		if body != nil {
			rd = strings.NewReader(body(c, i))
		}
		req, err := http.NewRequest(method, ic.target(c).api+path, rd)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("X-Vault-Token", token)
		}
		return send(ic.http, req)
	}
}

func send(h *http.Client, req *http.Request) error {
	_, err := sendIndex(h, req)
	return err
}

// sendIndex sends req, wants a 2xx, and returns the X-Iamd-Index header.
func sendIndex(h *http.Client, req *http.Request) (string, error) {
	resp, err := h.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(b))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.Header.Get("X-Iamd-Index"), err
}

// awsSigner signs IAM query-API requests with SigV4 as aws-sdk-go-v2 does
// (same signer), without the SDK's client-side middleware stack, so that
// the load generator spends its CPU on the request rather than on itself.
type awsSigner struct {
	signer *v4.Signer
	creds  aws.Credentials
}

func newAWSSigner(ak, sk string) *awsSigner {
	return &awsSigner{signer: v4.NewSigner(), creds: aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}}
}

// iamCall sends one signed IAM action to node c%3.
func (s *awsSigner) iamCall(ic *iamdCluster, c int, params url.Values) error {
	_, err := s.iamCallIndex(ic, c, params, "")
	return err
}

// iamCallCtx sends one signed IAM action to node n, bounded by ctx.
func (s *awsSigner) iamCallCtx(ctx context.Context, n *iamdNode, params url.Values) error {
	one := &iamdCluster{http: probeClient, nodes: []*iamdNode{n}}
	params.Set("Version", "2010-05-08")
	body := params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.api+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := s.signer.SignHTTP(ctx, s.creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return err
	}
	return send(one.http, req)
}

// probeClient is the failover probe's own client, so that its attempts do
// not queue behind the load's connections.
var probeClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

// iamCallIndex sends one signed IAM action to node c%3, with X-Iamd-Index
// when index is set, and returns the answer's X-Iamd-Index.
func (s *awsSigner) iamCallIndex(ic *iamdCluster, c int, params url.Values, index string) (string, error) {
	params.Set("Version", "2010-05-08")
	body := params.Encode()
	req, err := http.NewRequest(http.MethodPost, ic.target(c).api+"/", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if index != "" {
		req.Header.Set("X-Iamd-Index", index)
	}
	sum := sha256.Sum256([]byte(body))
	if err := s.signer.SignHTTP(context.Background(), s.creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return "", err
	}
	return sendIndex(ic.http, req)
}

func iamGetUser(ic *iamdCluster, s *awsSigner, users int) op {
	return func(c, i int) error {
		return s.iamCall(ic, c, url.Values{"Action": {"GetUser"}, "UserName": {benchUser((c*7919 + i) % users)}})
	}
}

// signedRequest is one complete SigV4-signed request (header form:
// X-Amz-Date and Authorization, not a presigned URL), kept to be sent
// again as it is.
type signedRequest struct {
	url    string
	body   []byte
	header http.Header
}

// poolPerNode bounds the signed-ahead pool: at most this many distinct
// requests per node (one per user while there are fewer users).
const poolPerNode = 2048

// maxPoolAge is the longest run a pool may serve: SigV4 accepts an
// X-Amz-Date up to 15 minutes from the server's clock.
const maxPoolAge = 10 * time.Minute

// signGetUserPool signs GetUser requests ahead of a run: for each node the
// requests go to (a signature covers the Host header), one per user for up
// to poolPerNode users spread evenly over the users, all with the same
// X-Amz-Date, now. The servers verify each one in full when it arrives
// (server/sigv4 caches signing keys per key and day, never a request or
// a signature), so sending them again measures authentication as signing
// them anew would, minus the client's signing.
func signGetUserPool(ic *iamdCluster, s *awsSigner, users int) ([][]signedRequest, error) {
	nodes := ic.nodes
	if ic.pin != nil {
		nodes = []*iamdNode{ic.pin}
	}
	m := min(users, poolPerNode)
	now := time.Now()
	pool := make([][]signedRequest, len(nodes))
	for k, n := range nodes {
		pool[k] = make([]signedRequest, m)
		for j := range m {
			u := (k + j*users/m) % users // distinct users per node
			body := url.Values{"Action": {"GetUser"}, "UserName": {benchUser(u)}, "Version": {"2010-05-08"}}.Encode()
			req, err := http.NewRequest(http.MethodPost, n.api+"/", strings.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			sum := sha256.Sum256([]byte(body))
			if err := s.signer.SignHTTP(context.Background(), s.creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", now); err != nil {
				return nil, err
			}
			pool[k][j] = signedRequest{url: req.URL.String(), body: []byte(body), header: req.Header}
		}
	}
	return pool, nil
}

// iamGetUserSigned sends the requests of a signed-ahead pool: client c
// goes through the pool of its node (c%3) from its own starting point, so
// the load generator does no SigV4 work during the run. Answers are checked
// as iamGetUser's are (a 2xx). The pool must be signed just before the run
// and the run last less than maxPoolAge.
func iamGetUserSigned(ic *iamdCluster, pool [][]signedRequest) op {
	return func(c, i int) error {
		p := pool[c%len(pool)]
		e := &p[(c*7919+i)%len(p)]
		req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(e.body))
		if err != nil {
			return err
		}
		req.Header = e.header.Clone()
		return send(ic.http, req)
	}
}

// iamCreateUser alternates CreateUser and DeleteUser of the same name, so
// that a long run stays under the account's 5000-user quota; each request
// is one Raft write.
// The delete sends back the create's X-Iamd-Index, so that a follower
// waits until it has applied the create (read-your-writes) instead of
// answering NoSuchEntity.
func iamCreateUser(ic *iamdCluster, s *awsSigner, run string) op {
	index := make([]string, 1024)
	return func(c, i int) error {
		name := fmt.Sprintf("w-%s-%d-%d", run, c, i/2)
		if i%2 == 0 {
			idx, err := s.iamCallIndex(ic, c, url.Values{"Action": {"CreateUser"}, "UserName": {name}}, "")
			index[c%len(index)] = idx
			return err
		}
		_, err := s.iamCallIndex(ic, c, url.Values{"Action": {"DeleteUser"}, "UserName": {name}}, index[c%len(index)])
		return err
	}
}

const benchPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bench-bucket/*"}]}`

func iamPutUserPolicy(ic *iamdCluster, s *awsSigner, users int) op {
	return func(c, i int) error {
		return s.iamCall(ic, c, url.Values{"Action": {"PutUserPolicy"}, "UserName": {benchUser((c*7919 + i) % users)},
			"PolicyName": {fmt.Sprintf("p%d", i%8)}, "PolicyDocument": {benchPolicy}})
	}
}

func benchUser(i int) string { return fmt.Sprintf("u%07d", i) }

// iamAvailable tells whether this build answers the IAM query API.
func iamAvailable(ic *iamdCluster, s *awsSigner) bool {
	return s.iamCall(ic, 0, url.Values{"Action": {"ListUsers"}, "MaxItems": {"1"}}) == nil
}

// iamLoad creates users u0000000.. through the normal write path, several
// at a time.
func iamLoad(ic *iamdCluster, s *awsSigner, from, to int) error {
	const workers = 32
	errc := make(chan error, workers)
	next := make(chan int)
	go func() {
		for i := from; i < to; i++ {
			next <- i
		}
		close(next)
	}()
	for w := 0; w < workers; w++ {
		go func(w int) {
			var first error
			for i := range next {
				if err := s.iamCall(ic, w, url.Values{"Action": {"CreateUser"}, "UserName": {benchUser(i)}}); err != nil && first == nil {
					first = err
				}
			}
			errc <- first
		}(w)
	}
	var first error
	for w := 0; w < workers; w++ {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}
