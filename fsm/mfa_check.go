package fsm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// Login MFA decisions (spec/vault.md §5.2, §5.5). The proposer holds the
// keyring, so it opens the TOTP secret and reports, per method, which time
// step the code matched (MFAAttempt). Everything that must be exact across
// nodes and concurrent requests is decided here: the attempt counter and
// its lockout, and the replay check (a time step already used by this
// entity on this method is refused).

// MFAAttempt is the proposer's check of one passcode for one method.
type MFAAttempt struct {
	MethodID     string
	EntityID     string // the entity the code was checked for
	Passcode     bool   // a passcode was supplied
	Canonical    bool   // exactly the method's digit count, digits only
	Step         int64  // matched TOTP time step; 0: no match
	SecretDigest string // SecretDigest of the sealed secret checked
	Enroll       bool   // checked against the pending login's enrolment secret
}

// SecretDigest identifies a sealed secret, so Apply can tell that the code
// was checked against the secret it still holds.
func SecretDigest(sealed []byte) string {
	sum := sha256.Sum256(sealed)
	return hex.EncodeToString(sum[:8])
}

// TOTPUsage is the replicated attempt counter and last used time step of
// one entity on one method.
type TOTPUsage struct {
	Key          string // MethodID + "/" + EntityID
	MethodID     string
	EntityID     string
	Attempts     int
	WindowStart  time.Time
	LastUsedStep int64
}

const tableTOTPUsage = "mfa_totp_usage"

// ErrMFACredentials is the one answer for a wrong, reused or malformed
// code: telling them apart would help an attacker (CVE-2025-6015).
const ErrMFACredentials = "MFA credentials not supplied or incorrect"

func init() {
	registerTable[TOTPUsage](&memdb.TableSchema{
		Name: tableTOTPUsage,
		Indexes: map[string]*memdb.IndexSchema{
			"id":     idIndex("Key"),
			"method": plainIndex("method", "MethodID"),
			"entity": plainIndex("entity", "EntityID"),
		},
	})
}

// deleteTOTPUsage drops the usage records of a deleted entity or method
// (index "entity" or "method").
func deleteTOTPUsage(tx *txn, index, id string) error {
	for _, u := range all[TOTPUsage](tx, tableTOTPUsage, index, id) {
		if err := tx.Delete(tableTOTPUsage, u); err != nil {
			return err
		}
	}
	return nil
}

// matchEnforcements returns the enforcements that apply to a login through
// mount by entityID, in name order: listed entity, direct or inherited
// group, mount accessor or mount type.
func matchEnforcements(tx *txn, mount *AuthMount, entityID string) []*LoginEnforcement {
	direct, inherited := stateOf(tx).EntityGroups(entityID)
	groups := map[string]bool{}
	for _, g := range append(direct, inherited...) {
		groups[g.ID] = true
	}
	var out []*LoginEnforcement
	for _, e := range all[LoginEnforcement](tx, tableLoginEnforcements, "id") {
		if enforcementMatches(e, mount, entityID, groups) {
			out = append(out, e)
		}
	}
	return out
}

func enforcementMatches(e *LoginEnforcement, mount *AuthMount, entityID string, groups map[string]bool) bool {
	for _, id := range e.IdentityEntityIDs {
		if id == entityID {
			return true
		}
	}
	for _, id := range e.IdentityGroupIDs {
		if groups[id] {
			return true
		}
	}
	for _, a := range e.AuthMethodAccessors {
		if a == mount.Accessor {
			return true
		}
	}
	for _, t := range e.AuthMethodTypes {
		if t == mount.Type {
			return true
		}
	}
	return false
}

// MatchingEnforcements is matchEnforcements on a read view: the server
// uses it to prepare a login (self-enrolment offers, header checks).
func (s *State) MatchingEnforcements(mount *AuthMount, entityID string) []*LoginEnforcement {
	return matchEnforcements(s.tx, mount, entityID)
}

// checkEnforcements checks every matched enforcement (AND) against the
// attempts, any one of an enforcement's methods sufficing (OR). Each method
// is checked once even when several enforcements name it. It returns ""
// when all are satisfied, else the failure message.
func checkEnforcements(tx *txn, matched []*LoginEnforcement, entity *Entity, attempts []MFAAttempt,
	enroll map[string][]byte, now time.Time) string {
	results := map[string]string{}
	for _, e := range matched {
		var errs []string
		satisfied := false
		for _, mid := range e.MFAMethodIDs {
			a := findAttempt(attempts, mid)
			if a == nil {
				continue
			}
			msg, done := results[mid]
			if !done {
				msg = checkTOTP(tx, mid, entity, a, enroll, now)
				results[mid] = msg
			}
			if msg == "" {
				satisfied = true
				break
			}
			errs = append(errs, msg)
		}
		if !satisfied {
			if len(errs) == 0 {
				errs = []string{ErrMFACredentials}
			}
			return fmt.Sprintf("failed to satisfy enforcement %s. error: %s", e.Name, multiErrorText(errs))
		}
	}
	return ""
}

// multiErrorText formats errors the way go-multierror does, which is what
// Vault's clients see.
func multiErrorText(errs []string) string {
	var b strings.Builder
	if len(errs) == 1 {
		b.WriteString("1 error occurred:\n")
	} else {
		fmt.Fprintf(&b, "%d errors occurred:\n", len(errs))
	}
	for _, e := range errs {
		b.WriteString("\t* " + e + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func findAttempt(attempts []MFAAttempt, methodID string) *MFAAttempt {
	for i := range attempts {
		if attempts[i].MethodID == methodID {
			return &attempts[i]
		}
	}
	return nil
}

// checkTOTP decides one attempt and records it. The counter is checked
// before the code, so a locked-out entity is refused even a right code.
func checkTOTP(tx *txn, methodID string, entity *Entity, a *MFAAttempt, enroll map[string][]byte, now time.Time) string {
	m := first[MFAMethod](tx, tableMFAMethods, "id", methodID)
	if m == nil {
		return fmt.Sprintf("failed to find MFA config for method ID %s", methodID)
	}
	key := methodID + "/" + entity.ID
	u := TOTPUsage{Key: key, MethodID: methodID, EntityID: entity.ID}
	if cur := first[TOTPUsage](tx, tableTOTPUsage, "id", key); cur != nil {
		u = *cur
	}
	window := time.Duration(m.TOTP.Period) * time.Second
	max := m.TOTP.MaxValidationAttempts
	if u.Attempts >= max && now.Before(u.WindowStart.Add(window)) {
		wait := int64(u.WindowStart.Add(window).Sub(now).Seconds() + 0.999)
		return fmt.Sprintf("maximum TOTP validation attempts %d exceeded the allowed attempts %d. Please try again in %d seconds",
			u.Attempts+1, max, wait)
	}
	if !now.Before(u.WindowStart.Add(window)) {
		u.Attempts, u.WindowStart = 0, now
	}
	u.Attempts++
	msg := judgeTOTP(m, entity, a, enroll, &u)
	if msg == "" {
		u.Attempts = 0
		u.LastUsedStep = a.Step
		if a.Enroll {
			if err := storeSecret(tx, entity.ID, methodID, enroll[methodID]); err != nil {
				return err.Error()
			}
		}
	}
	if err := insert(tx, tableTOTPUsage, &u); err != nil {
		return err.Error()
	}
	return msg
}

func judgeTOTP(m *MFAMethod, entity *Entity, a *MFAAttempt, enroll map[string][]byte, u *TOTPUsage) string {
	sealed := entity.MFASecrets[m.ID]
	if a.Enroll && sealed == nil {
		sealed = enroll[m.ID]
	} else if a.Enroll {
		return ErrMFACredentials // enrolled meanwhile: the offer is void
	}
	if sealed == nil {
		return fmt.Sprintf("MFA secret for method name %q not present in entity %q", m.Name, entity.ID)
	}
	if !a.Passcode {
		return ErrMFACredentials
	}
	if a.EntityID != entity.ID || !a.Canonical || a.Step == 0 || a.SecretDigest != SecretDigest(sealed) ||
		a.Step <= u.LastUsedStep {
		return ErrMFACredentials
	}
	return ""
}

// enrolmentOffers keeps the offered secrets of methods that need one: a
// matched enforcement names the method, the method allows self-enrolment,
// and the entity has no secret for it yet.
func enrolmentOffers(tx *txn, matched []*LoginEnforcement, entity *Entity, offered map[string][]byte) (map[string][]byte, []string) {
	var kept map[string][]byte
	var ids []string
	for _, e := range matched {
		for _, mid := range e.MFAMethodIDs {
			m := first[MFAMethod](tx, tableMFAMethods, "id", mid)
			if m == nil || !m.TOTP.SelfEnrollment || entity.MFASecrets[mid] != nil || offered[mid] == nil || kept[mid] != nil {
				continue
			}
			if kept == nil {
				kept = map[string][]byte{}
			}
			kept[mid] = offered[mid]
			ids = append(ids, mid)
		}
	}
	return kept, ids
}

// TOTPUsage returns the usage record of an entity on a method, or nil.
func (s *State) TOTPUsage(methodID, entityID string) *TOTPUsage {
	return first[TOTPUsage](s.tx, tableTOTPUsage, "id", methodID+"/"+entityID)
}
