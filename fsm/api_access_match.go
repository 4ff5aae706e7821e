package fsm

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Matching a request against API access rules (spec §1.6): a request is
// admitted if any rule matches; within a rule every criterion that is set
// must hold (IP in one of IpRanges; certificate chaining to one of CaIds;
// its CN one of Cns). The same functions serve the request path (server)
// and Apply (the self-lockout check), so both decide alike.

// AccessRequest is what the rules look at: the client address (the TCP
// peer, never a forwarding header) and its verified TLS certificate chain,
// leaf first. CertsDER is how a command carries the chain; Certs is filled
// from it when absent.
type AccessRequest struct {
	IP       string
	CertsDER [][]byte            `json:",omitempty"`
	Certs    []*x509.Certificate `json:"-"`
}

func (r *AccessRequest) certs() []*x509.Certificate {
	if r.Certs == nil && len(r.CertsDER) > 0 {
		for _, der := range r.CertsDER {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil
			}
			r.Certs = append(r.Certs, c)
		}
	}
	return r.Certs
}

// ParseIPRange accepts a bare IPv4/IPv6 address or a CIDR and returns it
// as a prefix (a bare address is a /32 or /128).
func ParseIPRange(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ParseCAPEM returns the single certificate of a CA PEM, which must be a
// CA certificate (basic constraints CA:TRUE, or a self-signed v1 root).
func ParseCAPEM(s string) (*x509.Certificate, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("CaPem is not a PEM-encoded certificate")
	}
	if b, _ := pem.Decode(rest); b != nil {
		return nil, fmt.Errorf("CaPem must hold exactly one certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CaPem does not hold a valid certificate: %v", err)
	}
	if !c.IsCA && c.Version >= 3 {
		return nil, fmt.Errorf("the certificate in CaPem is not a CA certificate (basic constraints CA:FALSE)")
	}
	return c, nil
}

// CAFingerprint is a CA's fingerprint: SHA-1 of its DER form, 40 hex
// digits, the shape OUTSCALE shows (identification, not security).
func CAFingerprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return hex.EncodeToString(sum[:])
}

// parsedCAs caches parsed CA certificates by fingerprint: a pure function
// of the PEM, so sharing it between nodes' Apply and the request path is
// deterministic.
var parsedCAs sync.Map // PEM -> *x509.Certificate

func caCert(ca *ClientCA) *x509.Certificate {
	if v, ok := parsedCAs.Load(ca.PEM); ok {
		return v.(*x509.Certificate)
	}
	c, err := ParseCAPEM(ca.PEM)
	if err != nil {
		return nil
	}
	parsedCAs.Store(ca.PEM, c)
	return c
}

func caIndex(cas []*ClientCA) map[string]*ClientCA {
	m := make(map[string]*ClientCA, len(cas))
	for _, c := range cas {
		m[c.CAID] = c
	}
	return m
}

func rulesAdmit(rules []*ApiAccessRule, cas map[string]*ClientCA, req *AccessRequest, now time.Time) bool {
	for _, r := range rules {
		if ruleAdmits(r, cas, req, now) {
			return true
		}
	}
	return false
}

func ruleAdmits(r *ApiAccessRule, cas map[string]*ClientCA, req *AccessRequest, now time.Time) bool {
	if len(r.IPRanges) > 0 && !ipInRanges(req.IP, r.IPRanges) {
		return false
	}
	if len(r.CAIDs) > 0 && !chainsToOne(req.certs(), r.CAIDs, cas, now) {
		return false
	}
	if len(r.CNs) > 0 {
		cs := req.certs()
		if len(cs) == 0 || !contains(r.CNs, cs[0].Subject.CommonName) {
			return false
		}
	}
	// A rule with no criterion at all cannot be created; never let one
	// admit everything by accident.
	return len(r.IPRanges)+len(r.CAIDs) > 0
}

func ipInRanges(ip string, ranges []string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, s := range ranges {
		if p, err := ParseIPRange(s); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}

// chainsToOne verifies the leaf against each named CA as the only root,
// with the rest of the presented chain as intermediates, at time now.
func chainsToOne(certs []*x509.Certificate, caIDs []string, cas map[string]*ClientCA, now time.Time) bool {
	if len(certs) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	for _, id := range caIDs {
		ca := cas[id]
		if ca == nil {
			continue
		}
		root := caCert(ca)
		if root == nil {
			continue
		}
		roots := x509.NewCertPool()
		roots.AddCert(root)
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err == nil {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
