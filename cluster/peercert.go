package cluster

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"iamd/iamerr"
)

// checkRaftCert makes sure that, with cluster TLS on, whatever listens at
// a joiner's raft address presents a certificate from the cluster CA
// before the joiner gets the keyring (join-info) or enters the Raft
// configuration (add). Without it, a node configured with another CA's
// certificate is handed the keyring and added as a non-voter that can
// never be reached, and as a member it may forward writes. The internal
// calls themselves are checked for a cluster certificate only over an
// HTTPS API listener (mtls.go); this checks the address that Raft will
// actually talk to.
func (c *Cluster) checkRaftCert(ctx context.Context, id, raftAddr string) error {
	if c.peerTLS == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: c.peerTLS}
	conn, err := d.DialContext(ctx, "tcp", raftAddr)
	if err != nil {
		return iamerr.New(iamerr.Denied,
			"node %q at raft address %s does not present a certificate from this cluster's CA (%v): check its cluster tls_cert_file and tls_ca_file",
			id, raftAddr, err)
	}
	conn.Close()
	return nil
}
