package server

import (
	"context"
	"strings"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/keyring"
)

// The MFA half of logins: resolving credentials to methods, self-enrolment
// offers, and sys/mfa/validate.

// resolveMethod finds a method by ID or, failing that, by name.
func resolveMethod(st *fsm.State, key string) *fsm.MFAMethod {
	if m := st.MFAMethod(key); m != nil {
		return m
	}
	return st.MFAMethodByName(key)
}

// headerAttempts checks X-Vault-MFA credentials for entityID. Unknown
// methods are skipped: the enforcement then fails for want of a code.
func headerAttempts(k *keyring.Keyring, st *fsm.State, entity *fsm.Entity, entityID string, creds []MFACredential, now time.Time) []fsm.MFAAttempt {
	var out []fsm.MFAAttempt
	seen := map[string]bool{}
	for _, c := range creds {
		m := resolveMethod(st, c.Method)
		if m == nil || seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		out = append(out, mfaAttempt(k, m, entity, entityID, nil, c.Passcode, now))
	}
	return out
}

// enrolmentOffers draws a secret for every self-enrolment method that an
// enforcement on this login names and the entity lacks. Apply keeps those
// still needed when it decides.
func enrolmentOffers(k *keyring.Keyring, st *fsm.State, m *fsm.AuthMount, entity *fsm.Entity, entityID string) (map[string][]byte, map[string]TOTPEnrollment, error) {
	sealed := map[string][]byte{}
	shown := map[string]TOTPEnrollment{}
	for _, e := range st.MatchingEnforcements(m, entityID) {
		for _, id := range e.MFAMethodIDs {
			meth := st.MFAMethod(id)
			if meth == nil || !meth.TOTP.SelfEnrollment || sealed[id] != nil {
				continue
			}
			if entity != nil && entity.MFASecrets[id] != nil {
				continue
			}
			s, enr, err := newTOTPKey(k, meth, entityID)
			if err != nil {
				return nil, nil, err
			}
			sealed[id], shown[id] = s, enr
		}
	}
	return sealed, shown, nil
}

// ParseMFAValues reads one mfa_payload entry, Vault's parseMfaFactors:
// ["code"] or ["passcode=code"]; "" entries are push requests.
func ParseMFAValues(values []string) (string, error) {
	code := ""
	for _, v := range values {
		switch {
		case v == "":
			continue
		case strings.HasPrefix(v, "passcode="):
			if code != "" {
				return "", iamerr.New(iamerr.Invalid, "found multiple passcodes for the same MFA method")
			}
			if code = strings.TrimPrefix(v, "passcode="); code == "" {
				return "", iamerr.New(iamerr.Invalid, "invalid passcode")
			}
		case strings.Contains(v, "="):
			return "", iamerr.New(iamerr.Invalid, "found an invalid MFA cred: %v", v)
		default:
			if code != "" {
				return "", iamerr.New(iamerr.Invalid, "found multiple passcodes for the same MFA method")
			}
			code = v
		}
	}
	return code, nil
}

// ValidateMFA completes a two-phase login (sys/mfa/validate). payload maps
// method IDs or names to their passcodes.
func (n *Node) ValidateMFA(ctx context.Context, requestID string, payload map[string]string) (*LoginResult, error) {
	k, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	if requestID == "" {
		return nil, iamerr.New(iamerr.Invalid, "missing request ID")
	}
	st, p, err := n.pendingMFA(ctx, requestID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, iamerr.New(iamerr.Invalid, "invalid request ID")
	}
	now := n.now().UTC()
	entity := st.Entity(p.EntityID)
	cmd := fsm.ValidateMFA{RequestID: requestID, Time: now}
	seen := map[string]bool{}
	for key, code := range payload {
		m := resolveMethod(st, key)
		if m == nil || seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		cmd.Attempts = append(cmd.Attempts, mfaAttempt(k, m, entity, p.EntityID, p.Enroll[m.ID], code, now))
	}
	tokenID := newTokenID()
	cmd.TokenHMAC, cmd.TokenAccessor = k.HMAC(tokenID), newAccessor()
	out, err := applyAs[*fsm.LoginOutcome](ctx, n, fsm.CmdValidateMFA, cmd)
	if err != nil {
		return nil, err
	}
	if out.MFAFailure != "" {
		return nil, iamerr.New(iamerr.Denied, "%s", out.MFAFailure)
	}
	return &LoginResult{EntityID: out.EntityID, Issued: &IssuedToken{ID: tokenID, Token: out.Token}}, nil
}

// GenerateTOTP gives entityID a TOTP secret for methodID and returns its
// URL and barcode; exists is true (and nothing is shown) when the entity
// already had one.
func (n *Node) GenerateTOTP(ctx context.Context, methodID, entityID string) (enr *TOTPEnrollment, existsName string, exists bool, err error) {
	k, err := n.requireKeyring()
	if err != nil {
		return nil, "", false, err
	}
	st := n.State()
	m := st.MFAMethod(methodID)
	if m == nil {
		return nil, "", false, iamerr.New(iamerr.Invalid, "configuration for method ID %q does not exist", methodID)
	}
	if m.Type != MFATypeTOTP {
		return nil, "", false, iamerr.New(iamerr.Invalid, "generate not available for MFA type %q", m.Type)
	}
	e := st.Entity(entityID)
	if e == nil {
		return nil, "", false, iamerr.New(iamerr.Invalid, "invalid entity ID")
	}
	if e.MFASecrets[m.ID] != nil {
		return nil, m.Name, true, nil
	}
	sealed, shown, err := newTOTPKey(k, m, entityID)
	if err != nil {
		return nil, "", false, err
	}
	w, err := applyAs[*fsm.TOTPSecretWrite](ctx, n, fsm.CmdPutTOTPSecret, fsm.PutTOTPSecret{
		EntityID: entityID, MethodID: m.ID, Sealed: sealed,
	})
	if err != nil {
		return nil, "", false, err
	}
	if w.Exists {
		return nil, w.MethodName, true, nil
	}
	return &shown, "", false, nil
}

// DestroyTOTP removes an entity's TOTP secret for a method.
func (n *Node) DestroyTOTP(ctx context.Context, methodID, entityID string) error {
	_, err := n.apply(ctx, fsm.CmdDestroyTOTPSecret, fsm.DestroyTOTPSecret{EntityID: entityID, MethodID: methodID})
	return err
}
