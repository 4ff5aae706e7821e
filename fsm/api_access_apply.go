package fsm

import (
	"fmt"
	"time"

	"iamd/iamerr"
)

// Commands of the API access policy, rules and client CAs, with the
// invariants of spec §1.9 checked against the rows current at apply time.
const (
	CmdUpdateApiAccessPolicy CommandType = 520
	CmdCreateApiAccessRule   CommandType = 521
	CmdUpdateApiAccessRule   CommandType = 522
	CmdDeleteApiAccessRule   CommandType = 523
	CmdCreateClientCA        CommandType = 524
	CmdUpdateClientCA        CommandType = 525
	CmdDeleteClientCA        CommandType = 526
)

func init() {
	register(CmdUpdateApiAccessPolicy, "update-api-access-policy", applyUpdateApiAccessPolicy)
	register(CmdCreateApiAccessRule, "create-api-access-rule", applyCreateApiAccessRule)
	register(CmdUpdateApiAccessRule, "update-api-access-rule", applyUpdateApiAccessRule)
	register(CmdDeleteApiAccessRule, "delete-api-access-rule", applyDeleteApiAccessRule)
	register(CmdCreateClientCA, "create-client-ca", applyCreateClientCA)
	register(CmdUpdateClientCA, "update-client-ca", applyUpdateClientCA)
	register(CmdDeleteClientCA, "delete-client-ca", applyDeleteClientCA)
	// Multi-user approval (approvals.go): changing who may call the API is
	// guarded. CAs are not: a CA admits nobody until a rule names it.
	GuardActivity("change_api_access", CmdUpdateApiAccessPolicy, CmdCreateApiAccessRule, CmdUpdateApiAccessRule, CmdDeleteApiAccessRule)
}

func policyViolation(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Invalid, "InvalidInput", format, args...)
}

// UpdateApiAccessPolicy replaces an account's policy.
type UpdateApiAccessPolicy struct {
	AccountID                     string
	MaxAccessKeyExpirationSeconds int64
	RequireTrustedEnv             bool
	Now                           time.Time
}

func applyUpdateApiAccessPolicy(tx *txn, env Env, cmd *UpdateApiAccessPolicy) (any, error) {
	if err := checkPolicy(tx, cmd); err != nil {
		return nil, err
	}
	p := *apiAccessPolicy(tx, cmd.AccountID)
	p.MaxAccessKeyExpirationSeconds, p.RequireTrustedEnv = cmd.MaxAccessKeyExpirationSeconds, cmd.RequireTrustedEnv
	if err := insert(tx, tableApiAccessPolicy, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// checkPolicy decides whether the account's current keys and rules allow
// the new policy (invariants 1 and 4).
func checkPolicy(tx *txn, cmd *UpdateApiAccessPolicy) error {
	max := cmd.MaxAccessKeyExpirationSeconds
	if max < 0 || max > MaxAccessKeyExpirationLimit {
		return policyViolation("MaxAccessKeyExpirationSeconds must be between 0 and %d, got %d", MaxAccessKeyExpirationLimit, max)
	}
	if max > 0 {
		limit := cmd.Now.Add(time.Duration(max) * time.Second)
		for _, k := range accountKeys(tx, cmd.AccountID) {
			if k.ServiceAccountID != "" {
				continue // bounded by their service account's own expiry
			}
			if k.ExpirationDate == nil {
				return policyViolation("Access key %s has no expiration date; give every access key one before setting MaxAccessKeyExpirationSeconds", k.AccessKeyID)
			}
			if k.ExpirationDate.After(limit) {
				return policyViolation("Access key %s expires at %s, more than %d second(s) from now; shorten its expiration date or raise MaxAccessKeyExpirationSeconds",
					k.AccessKeyID, k.ExpirationDate.UTC().Format(time.RFC3339), max)
			}
		}
	}
	if !cmd.RequireTrustedEnv {
		return nil
	}
	if max == 0 {
		return policyViolation("RequireTrustedEnv needs MaxAccessKeyExpirationSeconds greater than 0")
	}
	rules := accessRules(tx, cmd.AccountID)
	if len(rules) == 0 {
		return policyViolation("RequireTrustedEnv needs at least one API access rule")
	}
	for _, r := range rules {
		if len(r.CAIDs) == 0 {
			return policyViolation("RequireTrustedEnv needs every API access rule to name a CA; rule %s names none", r.RuleID)
		}
	}
	return nil
}

// keyExpiryAllowed applies the policy to a key's new expiration date
// (invariant 2).
func keyExpiryAllowed(tx *txn, acct string, exp *time.Time, now time.Time) error {
	if exp != nil && !now.IsZero() && !exp.After(now) {
		return policyViolation("ExpirationDate %s is not in the future", exp.UTC().Format(time.RFC3339))
	}
	max := apiAccessPolicy(tx, acct).MaxAccessKeyExpirationSeconds
	if max == 0 || now.IsZero() {
		return nil
	}
	if exp == nil {
		return policyViolation("The API access policy requires every access key to expire within %d second(s): set ExpirationDate", max)
	}
	if exp.After(now.Add(time.Duration(max) * time.Second)) {
		return policyViolation("Access key must expire in %d second(s) at most (API access policy)", max)
	}
	return nil
}

// RuleChange is the part every rule command shares: who asks (the calling
// request, which must still be admitted afterwards) and when.
type RuleChange struct {
	AccountID string
	Caller    *AccessRequest `json:",omitempty"`
	Now       time.Time
}

// RuleChangeResult is a rule command's answer: the rule (nil on delete)
// and the rule set in force afterwards.
type RuleChangeResult struct {
	Rule  *ApiAccessRule
	Rules []*ApiAccessRule
}

// CreateApiAccessRule adds Rule (its RuleID chosen by the proposer).
type CreateApiAccessRule struct {
	RuleChange
	Rule ApiAccessRule
}

// UpdateApiAccessRule replaces a rule wholesale (omitted lists clear).
type UpdateApiAccessRule struct {
	RuleChange
	Rule ApiAccessRule
}

// DeleteApiAccessRule removes a rule; the last one cannot go.
type DeleteApiAccessRule struct {
	RuleChange
	RuleID string
}

func applyCreateApiAccessRule(tx *txn, env Env, cmd *CreateApiAccessRule) (any, error) {
	return applyRuleChange(tx, &cmd.RuleChange, "", &cmd.Rule)
}

func applyUpdateApiAccessRule(tx *txn, env Env, cmd *UpdateApiAccessRule) (any, error) {
	return applyRuleChange(tx, &cmd.RuleChange, cmd.Rule.RuleID, &cmd.Rule)
}

func applyDeleteApiAccessRule(tx *txn, env Env, cmd *DeleteApiAccessRule) (any, error) {
	return applyRuleChange(tx, &cmd.RuleChange, cmd.RuleID, nil)
}

// applyRuleChange replaces rule `replace` ("" = none) by `with` (nil =
// none) after checking the result; the account's default rule is written
// out as a row first so that it can be changed like any other.
func applyRuleChange(tx *txn, ch *RuleChange, replace string, with *ApiAccessRule) (any, error) {
	res, err := planRuleChange(tx, ch, replace, with)
	if err != nil {
		return nil, err
	}
	p := *apiAccessPolicy(tx, ch.AccountID)
	if !p.RulesInitialized {
		p.RulesInitialized = true
		if err := insert(tx, tableApiAccessPolicy, &p); err != nil {
			return nil, err
		}
		if err := insert(tx, tableApiAccessRules, DefaultRule(ch.AccountID)); err != nil {
			return nil, err
		}
	}
	if replace != "" {
		if _, err := tx.DeleteAll(tableApiAccessRules, "id", replace); err != nil {
			return nil, err
		}
	}
	if with != nil {
		r := *with
		r.AccountID = ch.AccountID
		if err := insert(tx, tableApiAccessRules, &r); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// planRuleChange computes the rule set after the change and checks it
// without writing: invariant 3, the CAs it names, and that the calling
// request would still be admitted (OUTSCALE leaves that to Support).
func planRuleChange(tx *txn, ch *RuleChange, replace string, with *ApiAccessRule) (*RuleChangeResult, error) {
	acct := ch.AccountID
	current := accessRules(tx, acct)
	var after []*ApiAccessRule
	found := replace == ""
	for _, r := range current {
		if r.RuleID == replace {
			found = true
			continue
		}
		after = append(after, r)
	}
	if !found {
		return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The API access rule %s does not exist in this account", replace)
	}
	var out *ApiAccessRule
	if with != nil {
		r := *with
		r.AccountID = acct
		if err := ValidateRuleShape(&r); err != nil {
			return nil, err
		}
		cas := caIndex(clientCAs(tx, acct))
		for _, id := range r.CAIDs {
			if cas[id] == nil {
				return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The CA %s does not exist in this account", id)
			}
		}
		if replace == "" && first[ApiAccessRule](tx, tableApiAccessRules, "id", r.RuleID) != nil {
			return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "API access rule %s already exists", r.RuleID)
		}
		out = &r
		after = append(after, out)
	}
	if len(after) == 0 {
		return nil, policyViolation("The last API access rule of an account cannot be deleted; create another rule first")
	}
	if apiAccessPolicy(tx, acct).RequireTrustedEnv && out != nil && len(out.CAIDs) == 0 {
		return nil, policyViolation("The API access policy requires a trusted environment: every API access rule must name a CA")
	}
	if ch.Caller != nil && !rulesAdmit(after, caIndex(clientCAs(tx, acct)), ch.Caller, ch.Now) {
		return nil, iamerr.WithCode(iamerr.Invalid, "InvalidInput",
			"Refused: after this change the API access rules would no longer admit this request (client address %s%s), which would lock you out; change the rules from an address or with a certificate that stays admitted",
			ch.Caller.IP, certNote(ch.Caller))
	}
	return &RuleChangeResult{Rule: out, Rules: after}, nil
}

func certNote(req *AccessRequest) string {
	if cs := req.certs(); len(cs) > 0 {
		return fmt.Sprintf(", certificate CN %q", cs[0].Subject.CommonName)
	}
	return ", no client certificate"
}

// ValidateRuleShape checks what a rule needs regardless of state: at
// least one of CaIds and IpRanges, Cns only with CaIds, parseable ranges.
func ValidateRuleShape(r *ApiAccessRule) error {
	if len(r.CAIDs) == 0 && len(r.IPRanges) == 0 {
		return policyViolation("An API access rule needs at least one of IpRanges and CaIds")
	}
	if len(r.CNs) > 0 && len(r.CAIDs) == 0 {
		return policyViolation("Cns can only be used together with CaIds")
	}
	for _, s := range r.IPRanges {
		if _, err := ParseIPRange(s); err != nil {
			return policyViolation("Invalid IpRanges entry: %v", err)
		}
	}
	return nil
}

// PlanRuleChange runs a rule command's checks on the local state without
// applying it (DryRun). replace is the rule replaced or deleted ("" for a
// create); with is the new rule (nil for a delete).
func (s *State) PlanRuleChange(ch *RuleChange, replace string, with *ApiAccessRule) (*RuleChangeResult, error) {
	return planRuleChange(s.tx, ch, replace, with)
}

// CheckPolicy runs UpdateApiAccessPolicy's checks on the local state
// (DryRun).
func (s *State) CheckPolicy(cmd *UpdateApiAccessPolicy) error { return checkPolicy(s.tx, cmd) }

// CreateClientCA stores a CA (already parsed and fingerprinted by the
// proposer).
type CreateClientCA struct {
	CA ClientCA
}

func applyCreateClientCA(tx *txn, env Env, cmd *CreateClientCA) (any, error) {
	ca := cmd.CA
	if first[ClientCA](tx, tableClientCAs, "id", ca.CAID) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "CA %s already exists", ca.CAID)
	}
	for _, o := range clientCAs(tx, ca.AccountID) {
		if o.Fingerprint == ca.Fingerprint {
			return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "This CA certificate is already registered as %s", o.CAID)
		}
	}
	if err := insert(tx, tableClientCAs, &ca); err != nil {
		return nil, err
	}
	return &ca, nil
}

func ownCA(tx *txn, acct, id string) (*ClientCA, error) {
	ca := first[ClientCA](tx, tableClientCAs, "id", id)
	if ca == nil || ca.AccountID != acct {
		return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The CA %s does not exist in this account", id)
	}
	return ca, nil
}

// UpdateClientCA sets a CA's description, its only mutable field.
type UpdateClientCA struct {
	AccountID   string
	CAID        string
	Description string
}

func applyUpdateClientCA(tx *txn, env Env, cmd *UpdateClientCA) (any, error) {
	ca, err := ownCA(tx, cmd.AccountID, cmd.CAID)
	if err != nil {
		return nil, err
	}
	c := *ca
	c.Description = cmd.Description
	if err := insert(tx, tableClientCAs, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteClientCA removes a CA no rule names (iamd's choice: refusing keeps
// a rule from silently matching nothing).
type DeleteClientCA struct {
	AccountID string
	CAID      string
}

func applyDeleteClientCA(tx *txn, env Env, cmd *DeleteClientCA) (any, error) {
	ca, err := ownCA(tx, cmd.AccountID, cmd.CAID)
	if err != nil {
		return nil, err
	}
	for _, r := range accessRules(tx, cmd.AccountID) {
		if contains(r.CAIDs, ca.CAID) {
			return nil, iamerr.WithCode(iamerr.Conflict, "DeleteConflict",
				"The CA %s is still named by API access rule %s; change or delete that rule first", ca.CAID, r.RuleID)
		}
	}
	return nil, tx.Delete(tableClientCAs, ca)
}
