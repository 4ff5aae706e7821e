package server

import (
	"context"

	"iamd/fsm"
	"iamd/iamerr"
)

// Login MFA configuration operations (spec/vault.md §5.1-5.2): TOTP methods
// and login enforcements. The login flow itself (generate, validate) is
// not here.

// MFATypeTOTP is the only login MFA method type iamd serves.
const MFATypeTOTP = "totp"

// TOTPMethodRequest is the input of a TOTP method write. Vault re-reads
// every field on update, so fields the client omits take their defaults.
type TOTPMethodRequest struct {
	MethodName            string
	Issuer                string
	Period                int // seconds
	KeySize               int
	QRSize                int
	Algorithm             string
	Digits                int
	Skew                  int
	MaxValidationAttempts int
	SelfEnrollment        bool // iamd: self_enrollment_enabled
}

// defaultTOTPMaxAttempts replaces a max_validation_attempts of 0.
const defaultTOTPMaxAttempts = 5

// DefaultTOTPMethod returns a request holding the spec's defaults: the wire
// layer overwrites the fields the client supplied.
func DefaultTOTPMethod() TOTPMethodRequest {
	return TOTPMethodRequest{Period: 30, KeySize: 20, QRSize: 200, Algorithm: "SHA1", Digits: 6, Skew: 1}
}

// settings validates the request in the order of Vault's parseTOTPConfig
// (algorithm, digits, period, skew, key_size, issuer, attempts), so a
// request with several faults gets the error Vault would give.
func (r TOTPMethodRequest) settings() (fsm.TOTPSettings, error) {
	bad := func(msg string) (fsm.TOTPSettings, error) {
		return fsm.TOTPSettings{}, iamerr.New(iamerr.Invalid, "%s", msg)
	}
	switch r.Algorithm {
	case "SHA1", "SHA256", "SHA512":
	default:
		return bad("unrecognized algorithm")
	}
	if r.Digits != 6 && r.Digits != 8 {
		return bad("digits can only be 6 or 8")
	}
	if r.Period <= 0 {
		return bad("period must be greater than zero")
	}
	if r.Skew != 0 && r.Skew != 1 {
		return bad("skew must be 0 or 1")
	}
	if r.KeySize <= 0 {
		return bad("key_size must be greater than zero")
	}
	if r.Issuer == "" {
		return bad("issuer must be set")
	}
	attempts := r.MaxValidationAttempts
	if attempts < 0 {
		return bad("max_validation_attempts must be greater than zero")
	}
	if attempts == 0 {
		attempts = defaultTOTPMaxAttempts
	}
	return fsm.TOTPSettings{
		Issuer: r.Issuer, Period: r.Period, Digits: r.Digits, Skew: r.Skew, KeySize: r.KeySize,
		QRSize: r.QRSize, Algorithm: r.Algorithm, MaxValidationAttempts: attempts, SelfEnrollment: r.SelfEnrollment,
	}, nil
}

// CreateTOTPMethod stores a new TOTP method and returns its ID.
func (n *Node) CreateTOTPMethod(ctx context.Context, req TOTPMethodRequest) (string, error) {
	// Vault checks the name before the fields; checking it here on local
	// state keeps that order. Apply checks it again, exactly.
	if err := fsm.CheckMFAMethodName(n.State(), "", req.MethodName); err != nil {
		return "", err
	}
	settings, err := req.settings()
	if err != nil {
		return "", err
	}
	m, err := applyDrawn[*fsm.MFAMethod](ctx, n, fsm.CmdPutMFAMethod, func() any {
		return fsm.PutMFAMethod{Create: true, Method: fsm.MFAMethod{
			ID: newUUID(), Name: req.MethodName, Type: MFATypeTOTP, TOTP: settings,
		}}
	})
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// UpdateTOTPMethod replaces a TOTP method's settings. An unknown ID is
// NotFound (Vault answers 204 and writes nothing; iamd says so).
func (n *Node) UpdateTOTPMethod(ctx context.Context, id string, req TOTPMethodRequest) error {
	st := n.State()
	if st.MFAMethod(id) == nil {
		return iamerr.New(iamerr.NotFound, "")
	}
	if err := fsm.CheckMFAMethodName(st, id, req.MethodName); err != nil {
		return err
	}
	settings, err := req.settings()
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdPutMFAMethod, fsm.PutMFAMethod{Method: fsm.MFAMethod{
		ID: id, Name: req.MethodName, Type: MFATypeTOTP, TOTP: settings,
	}})
	return err
}

// DeleteMFAMethod deletes a method of type typ and every entity's secret
// for it; it is refused while an enforcement uses the method.
func (n *Node) DeleteMFAMethod(ctx context.Context, id, typ string) error {
	_, err := n.apply(ctx, fsm.CmdDeleteMFAMethod, fsm.DeleteMFAMethod{ID: id, Type: typ})
	return err
}

// LoginEnforcementRequest is the input of a login enforcement write. The
// method list is required; a nil target list keeps the stored one.
type LoginEnforcementRequest struct {
	MFAMethodIDs        *[]string
	AuthMethodAccessors *[]string
	AuthMethodTypes     *[]string
	IdentityGroupIDs    *[]string
	IdentityEntityIDs   *[]string
}

// PutLoginEnforcement creates or updates the enforcement called name. Every
// check that reads state runs in Apply, in the spec's order.
func (n *Node) PutLoginEnforcement(ctx context.Context, name string, req LoginEnforcementRequest) error {
	if err := checkIdentityLists("mfa_method_ids", req.MFAMethodIDs, "auth_method_accessors", req.AuthMethodAccessors,
		"auth_method_types", req.AuthMethodTypes, "identity_group_ids", req.IdentityGroupIDs,
		"identity_entity_ids", req.IdentityEntityIDs); err != nil {
		return err
	}
	_, err := applyDrawn[*fsm.LoginEnforcement](ctx, n, fsm.CmdPutLoginEnforcement, func() any {
		return fsm.PutLoginEnforcement{
			Name: name, NewID: newUUID(), MFAMethodIDs: req.MFAMethodIDs,
			AuthMethodAccessors: req.AuthMethodAccessors, AuthMethodTypes: req.AuthMethodTypes,
			IdentityGroupIDs: req.IdentityGroupIDs, IdentityEntityIDs: req.IdentityEntityIDs,
		}
	})
	return err
}

// DeleteLoginEnforcement deletes an enforcement; a missing one is not an
// error.
func (n *Node) DeleteLoginEnforcement(ctx context.Context, name string) error {
	_, err := n.apply(ctx, fsm.CmdDeleteLoginEnforcement, fsm.DeleteLoginEnforcement{Name: name})
	return err
}
