package oapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	osc "github.com/outscale/osc-sdk-go/v2"

	"iamd/api/apitest"
	"iamd/server/config"
)

// oscClient is osc-sdk-go's generated client pointed at the node,
// signing with (ak, sk) as it does for OUTSCALE (service oapi).
func oscClient(d *apitest.Dev, ak, sk string, hc *http.Client) (*osc.APIClient, context.Context) {
	cfg := osc.NewConfiguration()
	cfg.Servers = osc.ServerConfigurations{{URL: d.URL + "/api/v1"}}
	if hc == nil {
		hc = &http.Client{}
	}
	cfg.HTTPClient = hc
	ctx := context.WithValue(context.Background(), osc.ContextAWSv4, osc.AWSv4{AccessKey: ak, SecretKey: sk})
	return osc.NewAPIClient(cfg), ctx
}

// oapiCode returns the OAPI error code of a client error ("" for nil).
func oapiCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ge osc.GenericOpenAPIError
	if !errors.As(err, &ge) {
		t.Fatalf("not an OAPI error: %v", err)
	}
	var body struct {
		Errors []struct{ Code, Type, Details string }
	}
	if json.Unmarshal(ge.Body(), &body) != nil || len(body.Errors) != 1 || body.Errors[0].Details == "" {
		t.Fatalf("bad error body %s", ge.Body())
	}
	return body.Errors[0].Code
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := oapiCode(t, err); got != code {
		t.Fatalf("got code %q (%v), want %s", got, err, code)
	}
}

type raw struct {
	Status int
	Body   map[string]any
}

func (r raw) details() string {
	errs, _ := r.Body["Errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	s, _ := errs[0].(map[string]any)["Details"].(string)
	return s
}

func (r raw) code() string {
	errs, _ := r.Body["Errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["Code"].(string)
}

// post sends a raw JSON body signed for oapi, for the inputs the SDK
// cannot produce (unknown fields, wrong types).
func post(t *testing.T, d *apitest.Dev, ak, sk, action, body string) raw {
	t.Helper()
	return postAs(t, d, http.DefaultClient, aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, action, body)
}

// postAs is post with any credentials (a session token included, which
// osc-sdk-go cannot send) over hc (which may present a certificate).
func postAs(t *testing.T, d *apitest.Dev, hc *http.Client, creds aws.Credentials, action, body string) raw {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, d.URL+"/api/v1/"+action, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req,
		hex.EncodeToString(sum[:]), "oapi", "eu-west-2", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := raw{Status: resp.StatusCode}
	if err := json.Unmarshal(b, &out.Body); err != nil {
		t.Fatalf("answer is not JSON: %s", b)
	}
	if rc, _ := out.Body["ResponseContext"].(map[string]any); rc == nil || rc["RequestId"] == "" {
		t.Fatalf("answer without ResponseContext.RequestId: %s", b)
	}
	return out
}

// clock is the node's clock: real time plus an offset kept under SigV4's
// 15 minutes, since the SDK signs with real time.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// pki is a test PKI: a server certificate for 127.0.0.1 and CAs issuing
// client certificates.
type pki struct {
	t *testing.T
}

type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  string
}

var serial int64 = 1

func (p pki) newCA(name string) *ca {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		p.t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &ca{cert: c, key: key, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issue makes a leaf certificate: a client one (cn) or, with ip, a server one.
func (c *ca) issue(t *testing.T, cn string, server bool) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startTLS starts a dev node serving HTTPS that requests client
// certificates as the real listener does; it returns the server CA pool.
func startTLS(t *testing.T) (*apitest.Dev, *x509.CertPool, pki) {
	p := pki{t}
	srvCA := p.newCA("iamd test server CA")
	d := apitest.StartDev(t, apitest.Options{TLS: config.ClientCertTLS(srvCA.issue(t, "127.0.0.1", true), nil)})
	roots := x509.NewCertPool()
	roots.AddCert(srvCA.cert)
	return d, roots, p
}

// httpsClient trusts the test server and presents cert (if any).
func httpsClient(roots *x509.CertPool, cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}
