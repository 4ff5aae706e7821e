// Package apitest starts real iamd nodes on 127.0.0.1 for tests: a dev node
// behind a real HTTP listener on an ephemeral port, reachable with the real
// client libraries.
package apitest

import (
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api"
	"iamd/server"
	"iamd/server/config"
)

// Dev is a running dev node.
type Dev struct {
	Node      *server.Node
	URL       string // http://127.0.0.1:port
	Addr      string // 127.0.0.1:port
	RootToken string
	AccountID string
	AccessKey string
	SecretKey string
}

// Options tune StartDev.
type Options struct {
	// Now replaces the node's clock.
	Now func() time.Time
	// TLS, when set, serves HTTPS with it (URL is then https://...), for
	// client-certificate tests.
	TLS *tls.Config
}

// StartDev starts a dev node and stops it when the test ends.
func StartDev(t testing.TB, opts ...Options) *Dev {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	node, err := server.New(server.Options{
		Dev:    &server.DevOptions{ListenAddress: ln.Addr().String(), RootTokenID: "root"},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error}),
		Now:    o.Now,
	})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	srv := &http.Server{Handler: api.New(node, config.DefaultMaxRequestSize), TLSConfig: o.TLS}
	scheme := "http://"
	if o.TLS != nil {
		scheme = "https://"
		go srv.ServeTLS(ln, "", "")
	} else {
		go srv.Serve(ln)
	}
	t.Cleanup(func() {
		srv.Close()
		node.Shutdown()
	})
	creds := node.DevCredentials()
	return &Dev{
		Node: node, URL: scheme + ln.Addr().String(), Addr: ln.Addr().String(),
		RootToken: creds.RootToken, AccountID: creds.AccountID,
		AccessKey: creds.RootAccessKeyID, SecretKey: creds.RootSecretAccessKey,
	}
}

// VaultClient returns a hashicorp/vault/api client for the node holding
// token (which may be "").
func (d *Dev) VaultClient(t testing.TB, token string) *vaultapi.Client {
	t.Helper()
	cfg := vaultapi.DefaultConfig()
	cfg.Address = d.URL
	cfg.MaxRetries = 0
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}
