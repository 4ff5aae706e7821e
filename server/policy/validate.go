package policy

import (
	"fmt"
	"slices"
	"strings"
)

// validator applies the MalformedPolicyDocument rules of spec/aws-iam.md
// §6.2 in moto's order: the first failing rule names the error, so a
// document with several faults gets the same message as from AWS/moto.
type validator struct {
	root  *jnode
	stmts []*jnode
	kind  Kind
	// resourceErr is the resource-format error, found during the legacy
	// pass but reported only after the Sid and action checks (moto's order).
	resourceErr string
}

var (
	validVersions     = map[string]bool{"2008-10-17": true, "2012-10-17": true}
	topElements       = map[string]bool{"Version": true, "Id": true, "Statement": true}
	statementElements = map[string]bool{
		"Sid": true, "Effect": true, "Action": true, "NotAction": true, "Resource": true,
		"NotResource": true, "Principal": true, "NotPrincipal": true, "Condition": true,
	}
	// trustActions are the actions a role trust policy may grant
	// (compared case-insensitively, as action names are).
	trustActions = []string{
		"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
		"sts:TagSession", "sts:SetSourceIdentity",
	}
)

// validate returns the first rule root breaks, or nil. root is nil when the
// document is not JSON.
func validate(root *jnode, kind Kind) *MalformedError {
	v := &validator{root: root, kind: kind}
	if !v.syntaxOK() {
		return malformed(msgSyntax)
	}
	if ver := root.get("Version"); ver == nil || ver.text != "2012-10-17" {
		return malformed(msgVersion)
	}
	checks := []func() string{
		v.legacy, v.sidsUnique, v.actionsPresent, v.resourceFormat,
		v.actionPrefixes, v.kindRules, v.principalRules,
	}
	for _, check := range checks {
		if msg := check(); msg != "" {
			return malformed(msg)
		}
	}
	return nil
}

// statements returns the Statement element as a list (a lone object is a
// one-statement list); nil when it is neither.
func statements(root *jnode) []*jnode {
	st := root.get("Statement")
	switch {
	case st == nil:
		return nil
	case st.kind == jObject:
		return []*jnode{st}
	case st.kind == jArray:
		return st.elems
	}
	return nil
}

// syntaxOK is rule 1: the shape of the document.
func (v *validator) syntaxOK() bool {
	r := v.root
	if r == nil || r.kind != jObject {
		return false
	}
	for _, k := range r.keys {
		if !topElements[k] {
			return false
		}
	}
	if ver := r.get("Version"); ver != nil && (ver.kind != jString || !validVersions[ver.text]) {
		return false
	}
	if id := r.get("Id"); id != nil && id.kind != jString {
		return false
	}
	v.stmts = statements(r)
	if len(v.stmts) == 0 {
		return false
	}
	for _, s := range v.stmts {
		if !statementSyntaxOK(s) {
			return false
		}
	}
	return true
}

func statementSyntaxOK(s *jnode) bool {
	if s.kind != jObject {
		return false
	}
	for _, k := range s.keys {
		if !statementElements[k] {
			return false
		}
	}
	for _, pair := range [][2]string{{"Action", "NotAction"}, {"Resource", "NotResource"}, {"Principal", "NotPrincipal"}} {
		if s.has(pair[0]) && s.has(pair[1]) {
			return false
		}
	}
	e := s.get("Effect")
	if e == nil || e.kind != jString || !(strings.EqualFold(e.text, "Allow") || strings.EqualFold(e.text, "Deny")) {
		return false
	}
	for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if n := s.get(k); n != nil && !n.isStringOrStrings() {
			return false
		}
	}
	if sid := s.get("Sid"); sid != nil && sid.kind != jString {
		return false
	}
	return conditionSyntaxOK(s.get("Condition")) &&
		principalSyntaxOK(s.get("Principal")) && principalSyntaxOK(s.get("NotPrincipal"))
}

// conditionSyntaxOK accepts {Operator: {Key: value}} where a value is a
// string, bool or number, or a list of them. Unlike moto, an unknown
// operator is an error even with an empty body (spec §6.2, iamd rule).
func conditionSyntaxOK(c *jnode) bool {
	if c == nil {
		return true
	}
	if c.kind != jObject {
		return false
	}
	for i, name := range c.keys {
		body := c.elems[i]
		if _, ok := parseOperator(name); !ok || body.kind != jObject {
			return false
		}
		for _, val := range body.elems {
			if !conditionValueOK(val) {
				return false
			}
		}
	}
	return true
}

func conditionValueOK(n *jnode) bool {
	switch n.kind {
	case jString, jBool, jNumber:
		return true
	case jArray:
		for _, e := range n.elems {
			if e.kind != jString && e.kind != jBool && e.kind != jNumber {
				return false
			}
		}
		return true
	}
	return false
}

// principalSyntaxOK accepts "*" or a non-empty object of known principal
// types, each a string or list of strings.
func principalSyntaxOK(p *jnode) bool {
	switch {
	case p == nil:
		return true
	case p.kind == jString:
		return p.text == "*"
	case p.kind != jObject || len(p.keys) == 0:
		return false
	}
	for i, k := range p.keys {
		if !principalTypes[k] || !p.elems[i].isStringOrStrings() {
			return false
		}
	}
	return true
}

// legacy is rule 3: case-sensitive Effect, readable Date values, and the
// resource checks that moto performs in its legacy pass.
func (v *validator) legacy() string {
	for _, s := range v.stmts {
		if e := s.get("Effect").text; e != "Allow" && e != "Deny" {
			return msgLegacy
		}
		if !datesOK(s.get("Condition")) {
			return msgLegacy
		}
	}
	for _, key := range []string{"Resource", "NotResource"} {
		for _, s := range v.stmts {
			if n := s.get(key); n != nil && !v.resourcesLegacyOK(n) {
				return msgLegacy
			}
		}
	}
	return ""
}

func datesOK(c *jnode) bool {
	if c == nil {
		return true
	}
	for i, name := range c.keys {
		if op, _ := parseOperator(name); op.fam != famDate {
			continue
		}
		for _, val := range c.elems[i].elems {
			for _, d := range val.strings() {
				if _, ok := parseDate(d); !ok {
					return false
				}
			}
		}
	}
	return true
}

// resourcesLegacyOK records format errors (moto checks a list in reverse
// sorted order and keeps the last error) and, while no format error has
// been seen in the document, applies the legacy colon rules.
func (v *validator) resourcesLegacyOK(n *jnode) bool {
	list := n.strings()
	sorted := slices.Clone(list)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	for _, r := range sorted {
		if msg := resourceFormatError(r); msg != "" {
			v.resourceErr = msg
		}
	}
	if v.resourceErr != "" {
		return true
	}
	for _, r := range list {
		if legacyResourceBad(r) {
			return false
		}
	}
	return true
}

// sidsUnique is rule 4. Empty Sids may repeat.
func (v *validator) sidsUnique() string {
	seen := map[string]bool{}
	for _, s := range v.stmts {
		if sid := s.get("Sid"); sid != nil && sid.text != "" {
			if seen[sid.text] {
				return msgSidUnique
			}
			seen[sid.text] = true
		}
	}
	return ""
}

// actionsPresent is rule 5.
func (v *validator) actionsPresent() string {
	for _, s := range v.stmts {
		if !elementPresent(s, "Action", "NotAction") {
			return msgNoActions
		}
	}
	return ""
}

// elementPresent reports whether s has key or notKey, and that it is not [].
func elementPresent(s *jnode, key, notKey string) bool {
	n := s.get(key)
	if n == nil {
		n = s.get(notKey)
	}
	return n != nil && !n.isEmptyList()
}

// resourceFormat is rule 6: the error recorded during the legacy pass.
func (v *validator) resourceFormat() string { return v.resourceErr }

// actionPrefixes is rule 7: every Action, then every NotAction.
func (v *validator) actionPrefixes() string {
	for _, key := range []string{"Action", "NotAction"} {
		for _, s := range v.stmts {
			n := s.get(key)
			if n == nil {
				continue
			}
			for _, a := range n.strings() {
				if msg := actionPrefixError(a); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}

func actionPrefixError(a string) string {
	vendor, _, found := strings.Cut(a, ":")
	switch {
	case !found && a != "*":
		return msgVendorPrefix
	case strings.Count(a, ":") > 1:
		return msgOneColon
	case found && vendor != "*" && !validVendor(vendor):
		return fmt.Sprintf(msgVendorInvalid, vendor)
	}
	return ""
}

// validVendor is [A-Za-z0-9.-]+.
func validVendor(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// kindRules is rule 8 (identity, session and resource-based policies need
// resources) or 8' (trust policies: STS actions only, no resources).
func (v *validator) kindRules() string {
	if v.kind != Trust {
		for _, s := range v.stmts {
			if !elementPresent(s, "Resource", "NotResource") {
				return msgNoResources
			}
		}
		return ""
	}
	for _, s := range v.stmts {
		a := s.get("Action")
		if a == nil {
			return msgTrustActions
		}
		for _, name := range a.strings() {
			if !slices.ContainsFunc(trustActions, func(t string) bool { return strings.EqualFold(t, name) }) {
				return msgTrustActions
			}
		}
	}
	for _, s := range v.stmts {
		if s.has("Resource") || s.has("NotResource") {
			return msgTrustResource
		}
	}
	return ""
}

// principalRules are iamd's additions (spec §6.2): identity and session
// policies name no principal; trust and resource-based policies must, and
// an AWS principal must at least look like "*", an account or an ARN.
func (v *validator) principalRules() string {
	needs := v.kind == Trust || v.kind == ResourceBased
	for _, s := range v.stmts {
		p := s.get("Principal")
		if p == nil {
			p = s.get("NotPrincipal")
		}
		switch {
		case p != nil && !needs:
			return msgNoPrincipal
		case p == nil && needs:
			return msgNeedPrincipal
		case p == nil || p.kind != jObject:
			continue
		}
		if aws := p.get("AWS"); aws != nil {
			for _, a := range aws.strings() {
				if !validAWSPrincipal(a) {
					return fmt.Sprintf(msgBadPrincipal, "AWS", a)
				}
			}
		}
	}
	return ""
}
