package cluster_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	vaultapi "github.com/hashicorp/vault/api"

	"iamd/server"
)

// With cluster TLS and HTTPS API listeners, the internal calls run over
// mutual TLS: joins, forwarded writes and relayed snapshots work, ordinary
// clients need no certificate, and an internal call signed with the
// keyring's key is refused unless it comes with a certificate from the
// cluster CA for client authentication.
func TestInternalCallsOverMutualTLS(t *testing.T) {
	t.Run("listener requests any certificate", func(t *testing.T) { testInternalCallsOverMutualTLS(t, false) })
	t.Run("listener with tls_client_ca_file", func(t *testing.T) { testInternalCallsOverMutualTLS(t, true) })
}

func testInternalCallsOverMutualTLS(t *testing.T, withClientCA bool) {
	ca, clientsCA, foreign := newTestCA(t), newTestCA(t), newTestCA(t)
	dir, other := t.TempDir(), t.TempDir()
	clientCAFile := ""
	if withClientCA {
		clientCAFile = clientsCA.WriteCA(t, other, "clients-ca.pem")
	}
	n1 := httpsNode(t, "m1", ca, dir, clientCAFile)
	n2 := httpsNode(t, "m2", ca, dir, clientCAFile)
	ctx := context.Background()
	init, err := n1.node.Initialize(ctx, server.InitRequest{RootTokenID: rootToken})
	if err != nil {
		t.Fatal(err)
	}

	// The join's internal calls (join-info, add, promote) go over HTTPS.
	v1, v2 := vaultTLS(t, n1, ca, "", ""), vaultTLS(t, n2, ca, "", "")
	if res, err := v2.Sys().RaftJoin(&vaultapi.RaftJoinRequest{LeaderAPIAddr: n1.url()}); err != nil || !res.Joined {
		t.Fatalf("join over https: %v %v", res, err)
	}
	eventually(t, 10*time.Second, "m2 to become a voter", func() bool { return len(voters(t, n1)) == 2 })

	t.Run("ordinary clients without certificates, writes forwarded by the follower", func(t *testing.T) {
		sec, err := v2.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"default"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v1.Auth().Token().Lookup(sec.Auth.ClientToken); err != nil {
			t.Fatalf("the token created through the follower, on the leader: %v", err)
		}
		if _, err := iamTLS(n2, ca, init).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("over-mtls")}); err != nil {
			t.Fatal(err)
		}
		if _, err := iamTLS(n1, ca, init).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("over-mtls")}); err != nil {
			t.Fatalf("the user created through the follower, on the leader: %v", err)
		}
		var snap bytes.Buffer
		if err := v2.Sys().RaftSnapshot(&snap); err != nil || snap.Len() == 0 {
			t.Fatalf("snapshot relayed by the follower: %d bytes, %v", snap.Len(), err)
		}
	})

	// Client certificates on ordinary paths behave as before: any is taken
	// without tls_client_ca_file; with it, only that file's.
	t.Run("ordinary clients with certificates", func(t *testing.T) {
		lookup := func(cert, key string) error {
			_, err := vaultTLS(t, n2, ca, cert, key).Auth().Token().LookupSelf()
			return err
		}
		fcert, fkey := foreign.Issue(t, other, "foreign-client", x509.ExtKeyUsageClientAuth)
		ccert, ckey := clientsCA.Issue(t, other, "api-client", x509.ExtKeyUsageClientAuth)
		if err := lookup(ccert, ckey); err != nil {
			t.Fatalf("certificate from the clients' CA: %v", err)
		}
		err := lookup(fcert, fkey)
		if withClientCA == (err == nil) {
			t.Fatalf("certificate from an unknown CA, tls_client_ca_file %v: %v", withClientCA, err)
		}
		// A node's certificate is held to tls_client_ca_file like any other.
		err = lookup(filepath.Join(dir, "m1.pem"), filepath.Join(dir, "m1-key.pem"))
		if withClientCA == (err == nil) || withClientCA && !strings.Contains(err.Error(), "tls_client_ca_file") {
			t.Fatalf("a node's certificate on an ordinary path, tls_client_ca_file %v: %v", withClientCA, err)
		}
	})

	t.Run("internal calls need the cluster certificate", func(t *testing.T) {
		load := func(certFile, keyFile string) *tls.Certificate {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			return &c
		}
		node := load(filepath.Join(dir, "m2.pem"), filepath.Join(dir, "m2-key.pem"))
		// The listener lets it through the handshake for ordinary calls
		// when it has no tls_client_ca_file, or when it is that file's CA.
		anotherCA := load(foreign.Issue(t, other, "foreign", x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth))
		if withClientCA {
			anotherCA = load(clientsCA.Issue(t, other, "clients", x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth))
		}
		serverOnly := load(ca.Issue(t, other, "server-only", x509.ExtKeyUsageServerAuth))
		key := clusterKey(t, n1)

		for _, tc := range []struct {
			name string
			cert *tls.Certificate
		}{{"no certificate", nil}, {"a certificate from another CA", anotherCA}, {"a cluster certificate without clientAuth", serverOnly}} {
			status, signed, msg, err := internalApply(ca, tc.cert, n1, key)
			if withClientCA && tc.cert == serverOnly && err != nil {
				continue // neither CA takes it for client authentication: refused in the handshake
			}
			if err != nil || status != 403 || signed || !strings.Contains(msg, "client certificate from this cluster's CA") {
				t.Errorf("%s: %d signed=%v %q %v", tc.name, status, signed, msg, err)
			}
		}
		if withClientCA {
			stranger := load(foreign.Issue(t, other, "stranger", x509.ExtKeyUsageClientAuth))
			if _, _, _, err := internalApply(ca, stranger, n1, key); err == nil {
				t.Error("a certificate from neither CA got through the handshake")
			}
		}
		// The same call with the node's certificate reaches the handler,
		// so the request itself is well signed: the leader applies it (an
		// entry that does not decode changes nothing), a node that lost
		// the leadership meanwhile (slow machines) says 421.
		status, signed, msg, err := internalApply(ca, node, n1, key)
		if err != nil || !signed || status != 200 && status != http.StatusMisdirectedRequest {
			t.Fatalf("with the node's certificate: %d signed=%v %q %v", status, signed, msg, err)
		}
	})
}

// httpsNode starts a node whose cluster certificate comes from ca and whose
// API listener serves HTTPS with that same certificate (peers verify the
// listener against the cluster CA), with clientCAFile, if set, as its
// tls_client_ca_file.
func httpsNode(t *testing.T, id string, ca *testCA, dir, clientCAFile string) *testNode {
	t.Helper()
	n := newNode(t, id, nodeOpts{extra: ca.issue(t, dir, id)})
	l := &n.cfg.Listener[0]
	l.TLSDisable, l.TLSClientCAFile = false, clientCAFile
	l.TLSCertFile, l.TLSKeyFile = filepath.Join(dir, id+".pem"), filepath.Join(dir, id+"-key.pem")
	n.cfg.APIAddr = "https://" + l.Address
	return n.start().serveHTTPS()
}

// serveHTTPS moves n's API from plain HTTP to HTTPS with the TLS
// configuration cmd/iamd builds: the listener's, fitted by ListenerTLS.
func (n *testNode) serveHTTPS() *testNode {
	t := n.t
	t.Helper()
	base, err := n.cfg.Listener[0].TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	n.srv.Close()
	var ln net.Listener
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", n.cfg.Listener[0].Address); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Refused handshakes are expected; keep them out of the test output.
	n.srv = &http.Server{Handler: n.srv.Handler, TLSConfig: n.cl.ListenerTLS(base), ErrorLog: log.New(io.Discard, "", 0)}
	go n.srv.ServeTLS(ln, "", "")
	return n
}

// vaultTLS is a vault/api client for n, with the root token, trusting ca;
// certFile and keyFile, when set, are its client certificate.
func vaultTLS(t *testing.T, n *testNode, ca *testCA, certFile, keyFile string) *vaultapi.Client {
	t.Helper()
	cfg := vaultapi.DefaultConfig()
	cfg.Address, cfg.MaxRetries = n.url(), 0
	if err := cfg.ConfigureTLS(&vaultapi.TLSConfig{CACertBytes: ca.PEM, ClientCert: certFile, ClientKey: keyFile}); err != nil {
		t.Fatal(err)
	}
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(rootToken)
	return c
}

// iamTLS is an aws-sdk-go-v2 IAM client for n with the root access key,
// trusting ca and presenting no certificate.
func iamTLS(n *testNode, ca *testCA, init *server.InitResult) *iam.Client {
	return iam.New(iam.Options{
		BaseEndpoint: aws.String(n.url()), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(init.RootAccessKeyID, init.RootSecretAccessKey, ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ca)}}},
	})
}

func pool(ca *testCA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// clusterKey is the key members sign internal calls with, derived from n's
// keyring as cluster/rpc.go does.
func clusterKey(t *testing.T, n *testNode) []byte {
	t.Helper()
	k, err := hkdf.Key(sha256.New, n.node.Keyring().Export(), nil, "iamd cluster rpc v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signedInternal builds POST /v1/sys/internal/cluster/<op> to base as node
// from, signed with key as a member signs it.
func signedInternal(base, op, from string, key, body []byte) *http.Request {
	path := "/v1/sys/internal/cluster/" + op
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), make([]byte, 16)
	rand.Read(nonce)
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join([]string{"POST", path, from, ts, hex.EncodeToString(nonce), hex.EncodeToString(sum[:])}, "\n")))
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
	for k, v := range map[string]string{"X-Iamd-Node": from, "X-Iamd-Time": ts, "X-Iamd-Nonce": hex.EncodeToString(nonce),
		"X-Iamd-Auth": "cluster", "X-Iamd-Signature": hex.EncodeToString(m.Sum(nil))} {
		req.Header.Set(k, v)
	}
	return req
}

// internalApply sends n a forwarded write (an entry that does not decode,
// which changes nothing when applied) from member m2, signed with key, over
// a connection that presents cert (if any, whatever CAs n names). It
// returns the status, whether the answer is signed (it came from the
// internal handler), and the Vault error messages; err is a failed
// connection or handshake.
func internalApply(ca *testCA, cert *tls.Certificate, n *testNode, key []byte) (int, bool, string, error) {
	conf := &tls.Config{RootCAs: pool(ca)}
	if cert != nil {
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
	resp, err := client.Do(signedInternal(n.url(), "apply", "m2", key, []byte(`{}`)))
	if err != nil {
		return 0, false, "", err
	}
	defer resp.Body.Close()
	var body struct{ Errors []string }
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &body)
	return resp.StatusCode, resp.Header.Get("X-Iamd-Signature") != "", strings.Join(body.Errors, "; "), nil
}
