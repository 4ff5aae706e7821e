package cluster_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"iamd/internal/testca"
)

// testCA issues node certificates for 127.0.0.1.
type testCA struct{ *testca.CA }

var testCAs atomic.Int64

// newTestCA makes a CA with a name of its own: TLS clients choose the
// certificate they present by its issuer's name.
func newTestCA(t *testing.T) *testCA {
	t.Helper()
	return &testCA{testca.New(t, fmt.Sprintf("iamd test CA %d", testCAs.Add(1)))}
}

// issue writes a node certificate, its key and the CA into dir and returns
// the cluster block lines that use them.
func (ca *testCA) issue(t *testing.T, dir, name string) string {
	t.Helper()
	certFile, keyFile := ca.Issue(t, dir, name, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	return fmt.Sprintf("  tls_cert_file = %q\n  tls_key_file = %q\n  tls_ca_file = %q\n",
		certFile, keyFile, ca.WriteCA(t, dir, "ca.pem"))
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
	pool.AddCert(ca.Cert)
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
