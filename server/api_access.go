package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"iamd/fsm"
	"iamd/iamerr"
)

// Operations on the API access policy, rules and client CAs
// (spec/account-security.md §1.5-1.7). Every dialect calls these with the
// account they act on; the invariants are decided in fsm
// (api_access_apply.go). With dryRun nothing is written: the same checks
// run on the local state and the effect is returned.

// AuthorizeSecurityAPI authorizes an AWS-signed caller (OAPI, IAM query)
// for a security administration action: the IAM policy action
// "api:<Action>" (OUTSCALE EIM's namespace) and, under a trusted session,
// a client certificate every time (spec §1.8).
func (n *Node) AuthorizeSecurityAPI(ctx context.Context, c *AWSCaller, action string) error {
	if err := n.AuthorizeIAM(c, "api:"+action, "*"); err != nil {
		return err
	}
	return n.requireSecurityCert(ctx, c)
}

func newRuleID() string { return "aar-" + randomHex(16) }
func newCAID() string   { return "ca-" + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

func (n *Node) accountOrDefault(acct string) string {
	if acct == "" {
		return n.State().DefaultAccountID()
	}
	return acct
}

// ApiAccessPolicy returns the account's policy.
func (n *Node) ApiAccessPolicy(acct string) *fsm.ApiAccessPolicy {
	return n.State().ApiAccessPolicy(n.accountOrDefault(acct))
}

// UpdateApiAccessPolicy replaces the policy after checking it against the
// account's current keys and rules.
func (n *Node) UpdateApiAccessPolicy(ctx context.Context, acct string, maxSeconds int64, trusted, dryRun bool) (*fsm.ApiAccessPolicy, error) {
	cmd := fsm.UpdateApiAccessPolicy{AccountID: n.accountOrDefault(acct), MaxAccessKeyExpirationSeconds: maxSeconds,
		RequireTrustedEnv: trusted, Now: n.now().UTC()}
	if dryRun {
		if err := n.State().CheckPolicy(&cmd); err != nil {
			return nil, err
		}
		return &fsm.ApiAccessPolicy{AccountID: cmd.AccountID, MaxAccessKeyExpirationSeconds: maxSeconds, RequireTrustedEnv: trusted}, nil
	}
	return applyAs[*fsm.ApiAccessPolicy](ctx, n, fsm.CmdUpdateApiAccessPolicy, cmd)
}

// ApiAccessRules returns the account's rules (the default one included).
func (n *Node) ApiAccessRules(acct string) []*fsm.ApiAccessRule {
	return n.State().ApiAccessRules(n.accountOrDefault(acct))
}

// ApiAccessRule returns one rule of the account.
func (n *Node) ApiAccessRule(acct, id string) (*fsm.ApiAccessRule, error) {
	for _, r := range n.ApiAccessRules(acct) {
		if r.RuleID == id {
			return r, nil
		}
	}
	return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The API access rule %s does not exist in this account", id)
}

func (n *Node) ruleChange(ctx context.Context, acct string) fsm.RuleChange {
	ch := fsm.RuleChange{AccountID: n.accountOrDefault(acct), Now: n.now().UTC()}
	if ci := connInfoFrom(ctx); ci != nil {
		ch.Caller = ci.wire()
	}
	return ch
}

func cleanRule(r fsm.ApiAccessRule) fsm.ApiAccessRule {
	r.IPRanges, r.CAIDs, r.CNs = nonEmpty(r.IPRanges), nonEmpty(r.CAIDs), nonEmpty(r.CNs)
	return r
}

func nonEmpty(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// CreateApiAccessRule adds a rule. It is refused when the calling request
// would not be admitted afterwards (never true for an addition, but the
// same check runs for every change).
func (n *Node) CreateApiAccessRule(ctx context.Context, acct string, r fsm.ApiAccessRule, dryRun bool) (*fsm.RuleChangeResult, error) {
	r = cleanRule(r)
	r.RuleID = newRuleID()
	if err := fsm.ValidateRuleShape(&r); err != nil {
		return nil, err
	}
	ch := n.ruleChange(ctx, acct)
	if dryRun {
		return n.State().PlanRuleChange(&ch, "", &r)
	}
	return applyAs[*fsm.RuleChangeResult](ctx, n, fsm.CmdCreateApiAccessRule, fsm.CreateApiAccessRule{RuleChange: ch, Rule: r})
}

// UpdateApiAccessRule replaces a rule wholesale (omitted lists clear); it
// is refused when the calling request would no longer be admitted.
func (n *Node) UpdateApiAccessRule(ctx context.Context, acct string, r fsm.ApiAccessRule, dryRun bool) (*fsm.RuleChangeResult, error) {
	r = cleanRule(r)
	if err := fsm.ValidateRuleShape(&r); err != nil {
		return nil, err
	}
	ch := n.ruleChange(ctx, acct)
	if dryRun {
		return n.State().PlanRuleChange(&ch, r.RuleID, &r)
	}
	return applyAs[*fsm.RuleChangeResult](ctx, n, fsm.CmdUpdateApiAccessRule, fsm.UpdateApiAccessRule{RuleChange: ch, Rule: r})
}

// DeleteApiAccessRule deletes a rule; the last one, and one whose removal
// would refuse the calling request, cannot be deleted.
func (n *Node) DeleteApiAccessRule(ctx context.Context, acct, id string, dryRun bool) (*fsm.RuleChangeResult, error) {
	ch := n.ruleChange(ctx, acct)
	if dryRun {
		return n.State().PlanRuleChange(&ch, id, nil)
	}
	return applyAs[*fsm.RuleChangeResult](ctx, n, fsm.CmdDeleteApiAccessRule, fsm.DeleteApiAccessRule{RuleChange: ch, RuleID: id})
}

// ClientCAs returns the account's CAs.
func (n *Node) ClientCAs(acct string) []*fsm.ClientCA {
	return n.State().ClientCAs(n.accountOrDefault(acct))
}

// ClientCA returns one CA of the account.
func (n *Node) ClientCA(acct, id string) (*fsm.ClientCA, error) {
	ca := n.State().ClientCA(id)
	if ca == nil || ca.AccountID != n.accountOrDefault(acct) {
		return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The CA %s does not exist in this account", id)
	}
	return ca, nil
}

// CreateClientCA registers a CA certificate (PEM, one CA certificate).
func (n *Node) CreateClientCA(ctx context.Context, acct, pemText, description string, dryRun bool) (*fsm.ClientCA, error) {
	cert, err := fsm.ParseCAPEM(pemText)
	if err != nil {
		return nil, iamerr.WithCode(iamerr.Invalid, "InvalidCertificate", "%v", err)
	}
	ca := fsm.ClientCA{CAID: newCAID(), AccountID: n.accountOrDefault(acct), Fingerprint: fsm.CAFingerprint(cert),
		Description: description, PEM: pemText, CreateDate: n.iamNow()}
	if dryRun {
		return &ca, nil
	}
	return applyAs[*fsm.ClientCA](ctx, n, fsm.CmdCreateClientCA, fsm.CreateClientCA{CA: ca})
}

// UpdateClientCA sets a CA's description.
func (n *Node) UpdateClientCA(ctx context.Context, acct, id, description string, dryRun bool) (*fsm.ClientCA, error) {
	if dryRun {
		ca, err := n.ClientCA(acct, id)
		if err != nil {
			return nil, err
		}
		c := *ca
		c.Description = description
		return &c, nil
	}
	return applyAs[*fsm.ClientCA](ctx, n, fsm.CmdUpdateClientCA, fsm.UpdateClientCA{AccountID: n.accountOrDefault(acct), CAID: id, Description: description})
}

// DeleteClientCA deletes a CA that no rule names.
func (n *Node) DeleteClientCA(ctx context.Context, acct, id string, dryRun bool) error {
	if dryRun {
		ca, err := n.ClientCA(acct, id)
		if err != nil {
			return err
		}
		for _, r := range n.ApiAccessRules(acct) {
			for _, c := range r.CAIDs {
				if c == ca.CAID {
					return iamerr.WithCode(iamerr.Conflict, "DeleteConflict", "The CA %s is still named by API access rule %s", id, r.RuleID)
				}
			}
		}
		return nil
	}
	_, err := n.apply(ctx, fsm.CmdDeleteClientCA, fsm.DeleteClientCA{AccountID: n.accountOrDefault(acct), CAID: id})
	return err
}
