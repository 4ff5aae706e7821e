package server

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/keyring"
)

// TOTP keys and code checks for login MFA (spec/vault.md §5.1, §5.5). The
// seed is sealed under the keyring, bound to its method and entity.

// TOTPEnrollment is a new secret as shown to its user, once.
type TOTPEnrollment struct {
	URL     string
	Barcode string // base64 PNG; "" when the method's qr_size is 0
}

// totpAAD binds a sealed seed to its method. It is not bound to the entity,
// so that merging entities can move a seed without the keyring.
func totpAAD(methodID string) string { return "totp/" + methodID }

func otpAlgorithm(name string) otp.Algorithm {
	switch name {
	case "SHA256":
		return otp.AlgorithmSHA256
	case "SHA512":
		return otp.AlgorithmSHA512
	}
	return otp.AlgorithmSHA1
}

// newTOTPKey draws a key for entityID on method m and returns it sealed,
// with the URL and barcode its user needs. The account name is the entity
// ID, as in Vault.
func newTOTPKey(k *keyring.Keyring, m *fsm.MFAMethod, entityID string) ([]byte, TOTPEnrollment, error) {
	s := m.TOTP
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.Issuer, AccountName: entityID, Period: uint(s.Period), SecretSize: uint(s.KeySize),
		Digits: otp.Digits(s.Digits), Algorithm: otpAlgorithm(s.Algorithm),
	})
	if err != nil {
		return nil, TOTPEnrollment{}, iamerr.New(iamerr.Internal, "failed to generate TOTP key: %v", err)
	}
	out := TOTPEnrollment{URL: key.URL()}
	if s.QRSize > 0 {
		img, err := key.Image(s.QRSize, s.QRSize)
		if err != nil {
			return nil, TOTPEnrollment{}, iamerr.New(iamerr.Internal, "failed to draw the barcode: %v", err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, TOTPEnrollment{}, iamerr.New(iamerr.Internal, "failed to encode the barcode: %v", err)
		}
		out.Barcode = base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	return k.Seal([]byte(key.Secret()), totpAAD(m.ID)), out, nil
}

// canonicalCode reports whether code is exactly digits decimal digits:
// no spaces, signs or padding (the CVE-2025-6015 lesson).
func canonicalCode(code string, digits int) bool {
	if len(code) != digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// matchStep returns the time step (counter) whose code equals code within
// the method's skew, or 0.
func matchStep(secret, code string, s fsm.TOTPSettings, now time.Time) int64 {
	period := int64(s.Period)
	opts := totp.ValidateOpts{Period: uint(s.Period), Digits: otp.Digits(s.Digits), Algorithm: otpAlgorithm(s.Algorithm)}
	base := now.Unix() / period
	for i := -int64(s.Skew); i <= int64(s.Skew); i++ {
		step := base + i
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*period, 0), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}

// mfaAttempt checks one passcode for entityID on method m. entity may be
// nil (a first login); enroll is a pending self-enrolment secret, used when
// the entity has none. Only the result travels in the command.
func mfaAttempt(k *keyring.Keyring, m *fsm.MFAMethod, entity *fsm.Entity, entityID string, enroll []byte,
	code string, now time.Time) fsm.MFAAttempt {
	a := fsm.MFAAttempt{MethodID: m.ID, EntityID: entityID, Passcode: code != ""}
	var sealed []byte
	if entity != nil {
		sealed = entity.MFASecrets[m.ID]
	}
	if sealed == nil && enroll != nil {
		sealed, a.Enroll = enroll, true
	}
	if sealed == nil {
		return a
	}
	a.SecretDigest = fsm.SecretDigest(sealed)
	a.Canonical = canonicalCode(code, m.TOTP.Digits)
	if !a.Canonical {
		return a
	}
	secret, err := k.Open(sealed, totpAAD(m.ID))
	if err != nil {
		return a
	}
	a.Step = matchStep(string(secret), code, m.TOTP, now)
	return a
}
