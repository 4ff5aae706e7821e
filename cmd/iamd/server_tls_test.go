package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iamd/internal/testca"
)

// With cluster TLS and an HTTPS listener that has tls_client_ca_file, the
// server lets a node present its cluster certificate (from a CA that file
// does not hold) on internal calls, refuses internal calls without one, and
// still answers ordinary clients that have none.
func TestServerTLSListenerTakesClusterCertificatesOnInternalCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	clusterCA, clientsCA := testca.New(t, "iamd cluster CA"), testca.New(t, "iamd API clients CA")
	cert, key := clusterCA.Issue(t, dir, "n1", x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	api, raftAddr := freePort(t), freePort(t)
	cfgPath := filepath.Join(dir, "node.hcl")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
node_id  = "n1"
data_dir = %q
api_addr = "https://%s"
listener "tcp" {
  address            = %q
  tls_cert_file      = %q
  tls_key_file       = %q
  tls_client_ca_file = %q
}
cluster {
  raft_address  = %q
  tls_cert_file = %q
  tls_key_file  = %q
  tls_ca_file   = %q
}
`, filepath.Join(dir, "data"), api, api, cert, key, clientsCA.WriteCA(t, dir, "clients-ca.pem"),
		raftAddr, cert, key, clusterCA.WriteCA(t, dir, "cluster-ca.pem"))), 0o600)
	p := startServer(t, bin, "-config="+cfgPath)
	waitHTTP(t, api)

	roots := x509.NewCertPool()
	roots.AddCert(clusterCA.Cert)
	client := func(cert *tls.Certificate) *http.Client {
		conf := &tls.Config{RootCAs: roots}
		if cert != nil {
			conf.Certificates = []tls.Certificate{*cert}
		}
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}
	}
	send := func(c *http.Client, method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "https://"+api+path, strings.NewReader("{}"))
		req.Header.Set("X-Iamd-Auth", "cluster")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, p.out)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	nodeCert, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}

	if status, body := send(client(nil), "GET", "/v1/sys/health"); status != 501 {
		t.Fatalf("health of an uninitialised node, no client certificate: %d %s", status, body)
	}
	if status, body := send(client(nil), "POST", "/v1/sys/internal/cluster/state"); status != 403 ||
		!strings.Contains(body, `{"errors":["internal cluster calls need a client certificate from this cluster's CA`) {
		t.Fatalf("internal call without a certificate: %d %s", status, body)
	}
	// The node's certificate gets through the handshake and the
	// certificate check; the call is then refused for its signature (this
	// node holds no keyring yet).
	if status, body := send(client(&nodeCert), "POST", "/v1/sys/internal/cluster/state"); status != 401 ||
		!strings.Contains(body, "this node cannot authenticate cluster calls") {
		t.Fatalf("internal call with the node's certificate: %d %s", status, body)
	}
}
