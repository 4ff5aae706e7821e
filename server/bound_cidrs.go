package server

import (
	"context"
	"net/netip"

	"iamd/iamerr"
)

// token_bound_cidrs, as Vault enforces them: a userpass login is refused
// when its client address is outside the user's CIDRs, and a token that
// carries CIDRs is refused on every request from outside them; both with
// 403 "permission denied". The address is the TCP peer of the connection
// (ConnInfo, access_rules.go), never a forwarding header a client could
// choose; without connection facts the request is refused, as Vault does.

// errOutsideBoundCIDRs is Vault's logical.ErrPermissionDenied.
func errOutsideBoundCIDRs() error { return iamerr.New(iamerr.Denied, "permission denied") }

// checkBoundCIDRs admits the request of ctx when cidrs is empty or one of
// them (a CIDR or a single address, as the userpass write validated)
// contains the client address.
func checkBoundCIDRs(ctx context.Context, cidrs []string) error {
	if len(cidrs) == 0 {
		return nil
	}
	ci := connInfoFrom(ctx)
	if ci == nil {
		return errOutsideBoundCIDRs()
	}
	ip, err := netip.ParseAddr(ci.IP)
	if err != nil {
		return errOutsideBoundCIDRs()
	}
	if cidrsContain(cidrs, ip.Unmap()) {
		return nil
	}
	return errOutsideBoundCIDRs()
}

func cidrsContain(cidrs []string, ip netip.Addr) bool {
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(ip) {
			return true
		}
		if a, err := netip.ParseAddr(c); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}
