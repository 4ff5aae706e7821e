package cluster_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA issues node certificates for 127.0.0.1.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "iamd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a node certificate, its key and the CA into dir and returns
// the cluster block lines that use them.
func (ca *testCA) issue(t *testing.T, dir, name string) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:    x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	files := map[string][]byte{
		name + ".pem":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		name + "-key.pem": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		"ca.pem":          ca.pem,
	}
	for f, b := range files {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("  tls_cert_file = %q\n  tls_key_file = %q\n  tls_ca_file = %q\n",
		filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem"), filepath.Join(dir, "ca.pem"))
}

func TestRaftOverMutualTLS(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	n1 := newNode(t, "t1", nodeOpts{extra: ca.issue(t, dir, "t1")}).start()
	n2 := newNode(t, "t2", nodeOpts{extra: ca.issue(t, dir, "t2")}).start()
	n1.initialize()
	mustJoin(t, n2, n1.url())
	tok, idx := createToken(t, n2)
	if r := do(t, "GET", n1.url()+"/v1/auth/token/lookup-self", tok, nil, "X-Iamd-Index", idx); r.status != 200 {
		t.Fatalf("write through the follower: %d %s", r.status, r.errors())
	}
	eventually(t, 5*time.Second, "the follower to apply the write over TLS", func() bool {
		return n2.node.FSM().Digest() == n1.node.FSM().Digest()
	})

	// The raft port speaks TLS and wants a certificate from the cluster
	// CA: a client with another CA's certificate is turned away.
	other := newTestCA(t)
	odir := t.TempDir()
	other.issue(t, odir, "intruder")
	cert, err := tls.LoadX509KeyPair(filepath.Join(odir, "intruder.pem"), filepath.Join(odir, "intruder-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	conn, err := tls.Dial("tcp", n1.cfg.Cluster.RaftAddress, &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool})
	if err == nil {
		// TLS 1.3 reports a refused client certificate on first read.
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil {
		t.Fatal("raft port accepted a certificate from another CA")
	}
}
