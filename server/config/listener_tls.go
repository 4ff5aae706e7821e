package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig builds the API listener's TLS configuration: its certificate,
// TLS 1.2 or later, and client certificates requested but never required.
// Which certificates are acceptable is the accounts' business (API access
// rules naming client CAs, server/access_rules.go), so by default the
// handshake only proves the client holds the certificate's key. With
// tls_client_ca_file, a certificate that is given must also chain to that
// file's CAs (VerifyClientCertIfGiven).
func (l *Listener) TLSConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(l.TLSCertFile, l.TLSKeyFile)
	if err != nil {
		return nil, err
	}
	var pool *x509.CertPool
	if l.TLSClientCAFile != "" {
		pem, err := os.ReadFile(l.TLSClientCAFile)
		if err != nil {
			return nil, err
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_client_ca_file %s holds no PEM certificate", l.TLSClientCAFile)
		}
	}
	return ClientCertTLS(cert, pool), nil
}

// ClientCertTLS is the listener TLS configuration for a certificate and
// optional client CA pool (tests use it too).
func ClientCertTLS(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, ClientAuth: tls.RequestClientCert}
	if clientCAs != nil {
		c.ClientAuth, c.ClientCAs = tls.VerifyClientCertIfGiven, clientCAs
	}
	return c
}
