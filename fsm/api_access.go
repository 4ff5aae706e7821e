package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/hashicorp/go-memdb"
)

// OUTSCALE-style API access control (spec/account-security.md §1.5-1.9):
// one API access policy per account, its API access rules (an allow-list
// of IP ranges, client CAs and certificate CNs) and its client CAs. Every
// invariant between them and the account's access keys is decided in the
// apply functions (api_access_apply.go) against the current rows, so that
// concurrent requests cannot break one.

// Policy bounds.
const (
	MaxAccessKeyExpirationLimit = 3153600000 // seconds: 100 years
)

// ApiAccessPolicy is an account's policy. An account without a row has the
// default {0, false}. RulesInitialized records that the account's default
// rule has been written out as a row (see accessRules).
type ApiAccessPolicy struct {
	AccountID                     string
	MaxAccessKeyExpirationSeconds int64
	RequireTrustedEnv             bool
	RulesInitialized              bool
}

// ApiAccessRule is one entry of the allow-list. Empty lists are criteria
// that do not apply.
type ApiAccessRule struct {
	RuleID      string // aar- + 32 hex
	AccountID   string
	IPRanges    []string
	CAIDs       []string
	CNs         []string
	Description string
}

// ClientCA is a CA whose certificates may satisfy a rule's CaIds.
type ClientCA struct {
	CAID        string // ca- + 32 hex
	AccountID   string
	Fingerprint string // SHA-1 of the DER certificate, 40 hex, as OUTSCALE shows
	Description string
	PEM         string
	CreateDate  time.Time
}

const (
	tableApiAccessPolicy = "api_access_policy"
	tableApiAccessRules  = "api_access_rules"
	tableClientCAs       = "client_cas"
)

func init() {
	registerTable[ApiAccessPolicy](&memdb.TableSchema{
		Name:    tableApiAccessPolicy,
		Indexes: map[string]*memdb.IndexSchema{"id": idIndex("AccountID")},
	})
	registerTable[ApiAccessRule](&memdb.TableSchema{
		Name: tableApiAccessRules,
		Indexes: map[string]*memdb.IndexSchema{
			"id":      idIndex("RuleID"),
			"account": plainIndex("account", "AccountID"),
		},
	})
	registerTable[ClientCA](&memdb.TableSchema{
		Name: tableClientCAs,
		Indexes: map[string]*memdb.IndexSchema{
			"id":      idIndex("CAID"),
			"account": plainIndex("account", "AccountID"),
		},
	})
}

// DefaultRuleID is the id of an account's default rule: derived from the
// account so that every node names the not-yet-stored rule alike.
func DefaultRuleID(acct string) string {
	sum := sha256.Sum256([]byte("iamd default api access rule " + acct))
	return "aar-" + hex.EncodeToString(sum[:16])
}

// DefaultRule is the rule an account starts with: every IPv4 address, as
// OUTSCALE's, and every IPv6 address, so that a node listening on ::1 does
// not refuse its local clients out of the box.
func DefaultRule(acct string) *ApiAccessRule {
	return &ApiAccessRule{RuleID: DefaultRuleID(acct), AccountID: acct,
		IPRanges: append([]string(nil), defaultIPRanges...), Description: "Allows all IPv4 and IPv6 addresses (default)"}
}

// defaultIPRanges are the default rule's only criterion. Shared read-only
// by the request path's fast path; DefaultRule hands out copies.
var defaultIPRanges = []string{"0.0.0.0/0", "::/0"}

func apiAccessPolicy(tx *txn, acct string) *ApiAccessPolicy {
	if p := first[ApiAccessPolicy](tx, tableApiAccessPolicy, "id", acct); p != nil {
		return p
	}
	return &ApiAccessPolicy{AccountID: acct}
}

// accessRules returns the account's rules. Until a rule command has run
// for the account, its only rule is the default one, which is not stored:
// accounts need no write to exist with it.
func accessRules(tx *txn, acct string) []*ApiAccessRule {
	if !rulesInitialized(tx, acct) {
		return []*ApiAccessRule{DefaultRule(acct)}
	}
	return all[ApiAccessRule](tx, tableApiAccessRules, "account", acct)
}

// rulesInitialized is apiAccessPolicy(tx, acct).RulesInitialized without
// making the default policy.
func rulesInitialized(tx *txn, acct string) bool {
	p := first[ApiAccessPolicy](tx, tableApiAccessPolicy, "id", acct)
	return p != nil && p.RulesInitialized
}

func clientCAs(tx *txn, acct string) []*ClientCA {
	return all[ClientCA](tx, tableClientCAs, "account", acct)
}

// ApiAccessPolicy returns an account's policy ("" = the default account).
func (s *State) ApiAccessPolicy(acct string) *ApiAccessPolicy {
	if acct == "" {
		acct = defaultAccountID(s.tx)
	}
	return apiAccessPolicy(s.tx, acct)
}

// ApiAccessRules returns an account's rules, the default one included.
func (s *State) ApiAccessRules(acct string) []*ApiAccessRule {
	if acct == "" {
		acct = defaultAccountID(s.tx)
	}
	return accessRules(s.tx, acct)
}

// ClientCAs returns an account's CAs.
func (s *State) ClientCAs(acct string) []*ClientCA {
	if acct == "" {
		acct = defaultAccountID(s.tx)
	}
	return clientCAs(s.tx, acct)
}

// ClientCA returns a CA by id, or nil.
func (s *State) ClientCA(id string) *ClientCA { return first[ClientCA](s.tx, tableClientCAs, "id", id) }

// AdmitsRequest reports whether the account's rules admit req.
func (s *State) AdmitsRequest(acct string, req *AccessRequest, now time.Time) bool {
	if acct == "" {
		acct = defaultAccountID(s.tx)
	}
	// Fast path, on every signed request: an account that never changed
	// its rules has only the default rule, which looks at the IP alone, so
	// building it and indexing the CAs would only allocate.
	if !rulesInitialized(s.tx, acct) {
		return ipInRanges(req.IP, defaultIPRanges)
	}
	return rulesAdmit(accessRules(s.tx, acct), caIndex(clientCAs(s.tx, acct)), req, now)
}

// RequestHasTrustedCert reports whether req carries a client certificate
// that a rule with CaIds admits: what opens a trusted session.
func (s *State) RequestHasTrustedCert(acct string, req *AccessRequest, now time.Time) bool {
	if acct == "" {
		acct = defaultAccountID(s.tx)
	}
	if !rulesInitialized(s.tx, acct) {
		return false // the default rule has no CaIds
	}
	cas := caIndex(clientCAs(s.tx, acct))
	for _, r := range accessRules(s.tx, acct) {
		if len(r.CAIDs) > 0 && ruleAdmits(r, cas, req, now) {
			return true
		}
	}
	return false
}
