package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"iamd/server/config"
)

// ClusterTLS loads the node-to-node TLS configuration (cluster tls_cert_file,
// tls_key_file, tls_ca_file): the node's certificate, and the CA that every
// peer certificate must chain to, in both directions (mutual TLS). It
// returns nil when cluster TLS is not configured. The raft transport and the
// cluster package's forwarding client share it.
func ClusterTLS(c *config.Cluster) (*tls.Config, error) {
	if c == nil || c.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster TLS: %w", err)
	}
	pem, err := os.ReadFile(c.TLSCAFile)
	if err != nil {
		return nil, fmt.Errorf("cluster TLS: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster TLS: %s holds no PEM certificate", c.TLSCAFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// tlsStreamLayer carries Raft RPCs over mutual TLS. hashicorp/raft's own TCP
// transport has no TLS, and its NetworkTransport accepts any StreamLayer.
type tlsStreamLayer struct {
	net.Listener
	advertise net.Addr
	conf      *tls.Config
}

func newTLSTransport(bind, advertiseAddr string, conf *tls.Config, logger hclog.Logger) (*raft.NetworkTransport, error) {
	advertise, err := net.ResolveTCPAddr("tcp", advertiseAddr)
	if err != nil {
		return nil, fmt.Errorf("raft_address: %w", err)
	}
	if advertise.IP == nil || advertise.IP.IsUnspecified() {
		return nil, errors.New("raft_address must name an address peers can reach, not 0.0.0.0")
	}
	ln, err := tls.Listen("tcp", bind, conf)
	if err != nil {
		return nil, fmt.Errorf("listen on raft_address %s: %w", bind, err)
	}
	layer := &tlsStreamLayer{Listener: ln, advertise: advertise, conf: conf}
	return raft.NewNetworkTransportWithLogger(layer, 5, 10*time.Second, logger), nil
}

// Addr is the address peers dial, which must not be the wildcard.
func (l *tlsStreamLayer) Addr() net.Addr { return l.advertise }

// Dial opens a TLS connection to a peer, verifying its certificate against
// the cluster CA. The peer's host name is not checked against the
// certificate: raft addresses are often bare IPs, and holding a certificate
// from the cluster CA is what makes a peer a member.
func (l *tlsStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conf := l.conf.Clone()
	conf.InsecureSkipVerify = true
	conf.VerifyConnection = func(cs tls.ConnectionState) error { return verifyPeer(cs, conf.RootCAs) }
	d := &net.Dialer{Timeout: timeout}
	return tls.DialWithDialer(d, "tcp", string(address), conf)
}

// verifyPeer checks that the peer's chain leads to the cluster CA.
func verifyPeer(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("peer presented no certificate")
	}
	return VerifyChain(cs.PeerCertificates, roots, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
}

// VerifyChain checks that certs (leaf first, then intermediates, as a TLS
// peer sends them) chain to roots with one of usages, as crypto/tls
// verifies certificates.
func VerifyChain(certs []*x509.Certificate, roots *x509.CertPool, usages ...x509.ExtKeyUsage) error {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: usages})
	return err
}

// PeerTLS returns a client TLS configuration for node-to-node HTTP calls
// (forwarding, joins) that verifies the peer against the cluster CA only,
// like the raft transport. nil when cluster TLS is off.
func PeerTLS(base *tls.Config) *tls.Config {
	if base == nil {
		return nil
	}
	conf := base.Clone()
	conf.ClientAuth = tls.NoClientCert
	conf.InsecureSkipVerify = true
	conf.VerifyConnection = func(cs tls.ConnectionState) error { return verifyPeer(cs, conf.RootCAs) }
	return conf
}
