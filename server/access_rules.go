package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"

	"iamd/fsm"
	"iamd/iamerr"
)

// Enforcement of the account's API access rules (spec/account-security.md
// §1.6, §1.8) on every authenticated request of every dialect, from the
// local state: AuthenticateAWS (IAM query, STS, OAPI) and Authenticate
// (Vault tokens) both end in admitRequest. The client address is the TCP
// peer, never a forwarding header, so a client cannot pick its own.

// ConnInfo is the connection a request arrived on.
type ConnInfo struct {
	IP    string
	Certs []*x509.Certificate // TLS peer chain, leaf first; nil without a certificate
	Path  string
}

type connInfoKey struct{}

// WithConnInfo returns ctx carrying r's connection facts. The HTTP
// surface installs it for every request (api/conninfo.go).
func WithConnInfo(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, connInfoKey{}, connInfoOf(r))
}

func connInfoOf(r *http.Request) *ConnInfo {
	ci := &ConnInfo{IP: r.RemoteAddr, Path: r.URL.Path}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ci.IP = host
	}
	if r.TLS != nil {
		ci.Certs = r.TLS.PeerCertificates
	}
	return ci
}

func connInfoFrom(ctx context.Context) *ConnInfo {
	ci, _ := ctx.Value(connInfoKey{}).(*ConnInfo)
	return ci
}

func (ci *ConnInfo) accessRequest() *fsm.AccessRequest {
	return &fsm.AccessRequest{IP: ci.IP, Certs: ci.Certs}
}

// wire is the request as a command carries it (Apply re-parses the chain).
func (ci *ConnInfo) wire() *fsm.AccessRequest {
	req := &fsm.AccessRequest{IP: ci.IP}
	for _, c := range ci.Certs {
		req.CertsDER = append(req.CertsDER, c.Raw)
	}
	return req
}

// AccessDenial is a refusal by the access rules; dialects that tell the
// reasons apart (OAPI codes 4, 13, 14) look for it with errors.As. It
// unwraps to an iamerr Denied error for the others.
type AccessDenial struct {
	Reason DenialReason
	err    *iamerr.Error
}

// DenialReason says why a request was refused before its action ran.
type DenialReason string

const (
	DeniedByRules      DenialReason = "rules"       // no rule admits the request
	DeniedCertRequired DenialReason = "certificate" // security administration outside a trusted cert
	DeniedLocked       DenialReason = "locked"      // brute-force lock
)

func (d *AccessDenial) Error() string { return d.err.Message }
func (d *AccessDenial) Unwrap() error { return d.err }

func denial(reason DenialReason, format string, args ...any) error {
	return &AccessDenial{Reason: reason, err: iamerr.WithCode(iamerr.Denied, "AccessDenied", format, args...)}
}

func describeConn(ci *ConnInfo) string {
	if len(ci.Certs) == 0 {
		return fmt.Sprintf("client address %s, no client certificate", ci.IP)
	}
	return fmt.Sprintf("client address %s, certificate CN %q", ci.IP, ci.Certs[0].Subject.CommonName)
}

// admitRequest checks the request in ctx against the account's rules
// ("" = the default account). trusted is set for credentials of a trusted
// session: with RequireTrustedEnv such a request only needs a rule whose
// IP ranges admit it; its certificate is checked again by the security
// administration actions (requireSecurityCert). It reports whether the
// request was admitted by the trusted session alone. A context without
// connection facts (in-process calls) is not checked. The rules are read
// from st, the caller's read of the state.
func (n *Node) admitRequest(ctx context.Context, st *fsm.State, acct string, trusted bool) (bypass bool, err error) {
	ci := connInfoFrom(ctx)
	if ci == nil {
		return false, nil
	}
	now := n.now()
	if st.AdmitsRequest(acct, ci.accessRequest(), now) {
		return false, nil
	}
	if trusted && st.ApiAccessPolicy(acct).RequireTrustedEnv && ipAdmitted(st.ApiAccessRules(acct), ci.IP) {
		return true, nil
	}
	return false, denial(DeniedByRules,
		"The authentication method does not comply with the API access rules configured for this account (%s). Use a valid certificate or IP address.",
		describeConn(ci))
}

// ipAdmitted reports whether some rule's IP criterion (or its absence)
// admits ip, ignoring certificates.
func ipAdmitted(rules []*fsm.ApiAccessRule, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, r := range rules {
		if len(r.IPRanges) == 0 {
			return true
		}
		for _, s := range r.IPRanges {
			if p, err := fsm.ParseIPRange(s); err == nil && p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// requireSecurityCert is called by the security administration operations
// (access keys, API access policy, rules and CAs: spec §1.8's exclusion
// list): a caller admitted only through its trusted session must present
// a certificate the rules admit.
func (n *Node) requireSecurityCert(ctx context.Context, c *AWSCaller) error {
	if c == nil || !c.TrustedSessionOnly {
		return nil
	}
	ci := connInfoFrom(ctx)
	if ci == nil || n.State().AdmitsRequest(c.AccountID, ci.accessRequest(), n.now()) {
		return nil
	}
	return denial(DeniedCertRequired,
		"This security administration action needs a client certificate admitted by the API access rules, even in a trusted session (%s).",
		describeConn(ci))
}

// requestHasTrustedCert reports whether the request in ctx carries a
// certificate a CA rule admits: a session opened with it is trusted.
func (n *Node) requestHasTrustedCert(ctx context.Context, acct string) bool {
	ci := connInfoFrom(ctx)
	return ci != nil && len(ci.Certs) > 0 && n.State().RequestHasTrustedCert(acct, ci.accessRequest(), n.now())
}

// vaultAdmit applies the rules to a Vault-token request (default account;
// tokens have no trusted sessions). Paths under sys/security/ are the
// dialect's security administration.
func (n *Node) vaultAdmit(ctx context.Context) error {
	_, err := n.admitRequest(ctx, n.State(), "", false)
	return err
}
