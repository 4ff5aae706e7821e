package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"

	"iamd/server"
)

// Mutual TLS on the internal calls. The Raft transport has a port of its
// own and requires a certificate from the cluster CA. The internal calls
// share the API listener with ordinary clients, who need no certificate, so
// there the listener only requests one and Wrap refuses an
// internal call whose connection did not present a certificate from the
// cluster CA with the clientAuth usage. The keyring HMAC is still checked
// after that (rpc.go): the certificate says the caller was issued a node
// certificate, the HMAC that it holds the keyring.
//
// Over a plain HTTP API listener there is no certificate to look at, and
// the internal calls are authenticated by the HMAC alone.

// ListenerTLS returns the API listener's TLS configuration base (from
// config.Listener.TLSConfig) fitted for peers' certificates. Call it before
// serving, with the configuration the listener will use.
//
// Without tls_client_ca_file the listener requests a certificate without
// naming acceptable CAs or verifying it, so a peer sends its certificate and
// nothing stands in its way: base is returned as it is. With
// tls_client_ca_file (VerifyClientCertIfGiven) the handshake would turn a
// node certificate away, and peers would not even send one since the
// listener names only that file's CAs. Then the listener names the cluster
// CA too and verifies a certificate itself: it must chain to
// tls_client_ca_file as before, or to the cluster CA, and Wrap refuses a
// certificate of the second kind on every path but the internal ones, so
// ordinary API requests are held to tls_client_ca_file as before.
func (c *Cluster) ListenerTLS(base *tls.Config) *tls.Config {
	if base == nil || c.peerTLS == nil || base.ClientAuth != tls.VerifyClientCertIfGiven || base.ClientCAs == nil {
		return base
	}
	apiCAs, clusterCAs := base.ClientCAs, c.peerTLS.RootCAs
	named := apiCAs.Clone()
	named.AppendCertsFromPEM(c.clusterCAPEM)
	conf := base.Clone()
	conf.ClientAuth, conf.ClientCAs = tls.RequestClientCert, named
	conf.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 || verifyClient(cs.PeerCertificates, clusterCAs) == nil {
			return nil
		}
		return verifyClient(cs.PeerCertificates, apiCAs)
	}
	c.apiClientCAs = apiCAs
	return conf
}

// checkClientCert tells whether the client certificate of a request over
// TLS may be used on its path (see ListenerTLS); nil when cluster TLS is off
// or the request came over plain HTTP.
func (c *Cluster) checkClientCert(r *http.Request, internal bool) error {
	if c.peerTLS == nil || r.TLS == nil {
		return nil
	}
	certs := r.TLS.PeerCertificates
	if internal {
		if len(certs) == 0 {
			return errors.New("internal cluster calls need a client certificate from this cluster's CA (cluster tls_ca_file); none was presented")
		}
		if err := verifyClient(certs, c.peerTLS.RootCAs); err != nil {
			return errors.New("internal cluster calls need a client certificate from this cluster's CA (cluster tls_ca_file) for client authentication: " + err.Error())
		}
		return nil
	}
	// The handshake let in certificates from either CA; ordinary requests
	// only take those from tls_client_ca_file.
	if c.apiClientCAs != nil && len(certs) > 0 && verifyClient(certs, c.apiClientCAs) != nil {
		return errors.New("the client certificate does not chain to the listener's tls_client_ca_file")
	}
	return nil
}

// verifyClient checks that certs chain to roots for client authentication.
func verifyClient(certs []*x509.Certificate, roots *x509.CertPool) error {
	return server.VerifyChain(certs, roots, x509.ExtKeyUsageClientAuth)
}
