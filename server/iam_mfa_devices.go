package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/policy"
)

// IAM virtual MFA devices (spec/aws-iam.md §4.6, account-security.md
// §2.1). TOTP as RFC 6238: SHA-1, 6 digits, 30 s. The seed is sealed under
// the keyring bound to the serial number; the proposer opens it and puts
// only the matched time steps into the command, and FSM Apply decides
// replay, pairing and the attempt limit (fsm/iam_mfa_devices.go).
//
// Self-service (on by default, unlike AWS and Wasabi, whose sub-users
// cannot enrol until root writes a policy): without any policy, and unless
// a Deny says otherwise, a user may create a device named after itself,
// enable and resync a device for itself, and list or get its own devices.
// Deactivating and deleting need a policy. SetIAMMFASelfService(false)
// makes every MFA action need a policy.

const (
	mfaPeriod       = 30
	mfaSeedBytes    = 40 // 64 base32 characters, as AWS (moto)
	mfaQRSize       = 200
	enableWindow    = 2  // steps before now where an enabling pair may start
	resyncWindow    = 20 // steps either side of now searched by a resync
	mfaUseWindow    = 1  // steps either side of now+drift for one code
	mfaSerialPrefix = "mfa"
)

var totpOpts = totp.ValidateOpts{Period: mfaPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// SetIAMMFASelfService turns MFA self-enrolment without a policy on or off.
func (n *Node) SetIAMMFASelfService(on bool) { n.iam.mfaSelfServiceOff.Store(!on) }

// MFADeviceArn is a virtual MFA device's serial number.
func MFADeviceArn(acct, path, name string) string { return iamArn(acct, mfaSerialPrefix, path, name) }

func mfaSeedAAD(serial string) string { return "iam/mfa/" + serial }

// NewVirtualMFADevice is a created device as shown once: the base32 seed
// text and a PNG of its otpauth URL.
type NewVirtualMFADevice struct {
	SerialNumber string
	Base32Seed   []byte
	QRCodePNG    []byte
}

// CreateVirtualMFADevice creates an unassigned device.
func (n *Node) CreateVirtualMFADevice(ctx context.Context, c *AWSCaller, name, path string, tags []fsm.Tag) (*NewVirtualMFADevice, error) {
	if path == "" {
		path = "/"
	}
	serial := MFADeviceArn(c.AccountID, path, name)
	own := c.Type == PrincipalUser && c.User != nil && strings.EqualFold(name, c.User.UserName)
	if err := n.authorizeMFA(c, "iam:CreateVirtualMFADevice", serial, own); err != nil {
		return nil, err
	}
	if err := checkTagKeys(tags); err != nil {
		return nil, err
	}
	kr, err := n.requireKeyring()
	if err != nil {
		return nil, err
	}
	raw := make([]byte, mfaSeedBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, iamerr.New(iamerr.Internal, "no randomness: %v", err)
	}
	seed := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	label := c.AccountID
	if c.User != nil && c.User.UserName != "" {
		label = c.User.UserName
	}
	png, err := qrPNG(name+"@"+label, seed)
	if err != nil {
		return nil, err
	}
	d := fsm.VirtualMFADevice{SerialNumber: serial, AccountID: c.AccountID, Name: name, Path: path,
		SeedSealed: kr.Seal([]byte(seed), mfaSeedAAD(serial)), CreateDate: n.iamNow(), Tags: tags}
	if _, err := n.apply(ctx, fsm.CmdCreateVirtualMFADevice, fsm.CreateVirtualMFADevice{Device: d}); err != nil {
		return nil, err
	}
	return &NewVirtualMFADevice{SerialNumber: serial, Base32Seed: []byte(seed), QRCodePNG: png}, nil
}

// qrPNG draws otpauth://totp/<label>?secret=<seed> as a PNG (spec §4.6).
func qrPNG(label, seed string) ([]byte, error) {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + label, RawQuery: "secret=" + seed}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return nil, iamerr.New(iamerr.Internal, "otpauth URL: %v", err)
	}
	img, err := key.Image(mfaQRSize, mfaQRSize)
	if err != nil {
		return nil, iamerr.New(iamerr.Internal, "draw QR code: %v", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, iamerr.New(iamerr.Internal, "encode QR code: %v", err)
	}
	return buf.Bytes(), nil
}

// mfaTarget is the user an MFA action is about: UserName, or the caller
// when it is absent (the root's devices belong to the account ID, which
// also names the root as UserName).
type mfaTarget struct {
	id, name, arn string
	own           bool
}

// resolveMFATarget finds the target user without authorizing; id "" when
// a named user does not exist.
func (n *Node) resolveMFATarget(c *AWSCaller, name string) (mfaTarget, error) {
	if name == "" {
		switch {
		case c.Type == PrincipalRoot:
			return mfaTarget{id: c.AccountID, arn: RootArn(c.AccountID), own: true}, nil
		case c.User != nil && c.Type == PrincipalUser:
			return mfaTarget{id: c.User.UserID, name: c.User.UserName, arn: UserArn(c.User), own: true}, nil
		}
		return mfaTarget{}, validationError("Must specify userName when calling with non-User credentials")
	}
	u, arn := userResource(n.State(), c.AccountID, name)
	if u == nil && name == c.AccountID {
		// The root has no user name; SDKs insist on one for
		// EnableMFADevice, so the account ID names it.
		return mfaTarget{id: c.AccountID, arn: RootArn(c.AccountID), own: c.Type == PrincipalRoot}, nil
	}
	t := mfaTarget{name: name, arn: arn}
	if u != nil {
		t.id, t.name = u.UserID, u.UserName
		t.own = c.Type == PrincipalUser && c.User != nil && c.User.UserID == u.UserID
	}
	return t, nil
}

// authorizeMFA is AuthorizeIAM plus MFA self-service on the caller's own
// user (see the file comment); an explicit Deny always wins.
func (n *Node) authorizeMFA(c *AWSCaller, action, resource string, own bool) error {
	err := n.AuthorizeIAM(c, action, resource)
	if err == nil || !own || n.iam.mfaSelfServiceOff.Load() || c.Type != PrincipalUser || c.User == nil {
		return err
	}
	if c.MFA != nil && !c.MFA.Present {
		return err // a session without MFA may not call IAM at all
	}
	switch strings.ToLower(action) {
	case "iam:createvirtualmfadevice", "iam:enablemfadevice", "iam:resyncmfadevice", "iam:listmfadevices", "iam:getmfadevice":
	default:
		return err
	}
	if n.callerDecision(c, policy.Request{Action: action, Resource: resource, ContextFunc: n.lazyCallerContext(c, nil)}) == policy.ExplicitDeny {
		return err
	}
	return nil
}

func (n *Node) mfaTargetFor(c *AWSCaller, action, name string) (mfaTarget, error) {
	t, err := n.resolveMFATarget(c, name)
	if err != nil {
		return t, err
	}
	if err := n.authorizeMFA(c, action, t.arn, t.own); err != nil {
		return t, err
	}
	if t.id == "" {
		return t, errNoSuchUser(name)
	}
	return t, nil
}

// openSeed returns a device's seed.
func (n *Node) openSeed(d *fsm.VirtualMFADevice) (string, error) {
	kr, err := n.requireKeyring()
	if err != nil {
		return "", err
	}
	seed, err := kr.Open(d.SeedSealed, mfaSeedAAD(d.SerialNumber))
	if err != nil {
		n.log.Error("cannot open MFA device seed", "serial", d.SerialNumber, "error", err)
		return "", iamerr.New(iamerr.Internal, "cannot open the MFA device's seed")
	}
	return string(seed), nil
}

// codeAt reports whether code is the TOTP code of step.
func codeAt(seed, code string, step int64) bool {
	want, err := totp.GenerateCodeCustom(seed, time.Unix(step*mfaPeriod, 0), totpOpts)
	return err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
}

// pairCheck finds a step t in [from, to] with code1 at t and code2 at t+1.
func (n *Node) pairCheck(d *fsm.VirtualMFADevice, code1, code2 string, from, to int64) (fsm.MFACodeCheck, error) {
	now := n.now()
	ck := fsm.MFACodeCheck{SecretDigest: fsm.SecretDigest(d.SeedSealed), NowStep: now.Unix() / mfaPeriod, Time: now}
	seed, err := n.openSeed(d)
	if err != nil {
		return ck, err
	}
	if !canonicalCode(code1, 6) || !canonicalCode(code2, 6) {
		return ck, nil
	}
	for t := ck.NowStep + from; t <= ck.NowStep+to; t++ {
		if codeAt(seed, code1, t) && codeAt(seed, code2, t+1) {
			ck.Step, ck.Step2 = t, t+1
			break
		}
	}
	return ck, nil
}

func invalidAuthCode() error {
	return iamerr.WithCode(iamerr.Denied, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
}

// codeOutcome turns a recorded check into the answer.
func codeOutcome(res *fsm.MFACodeResult, err error) error {
	if err != nil {
		return err
	}
	if res == nil || !res.Accepted {
		return invalidAuthCode()
	}
	return nil
}

// EnableMFADevice assigns a device to a user (name "": the caller) after
// two consecutive codes.
func (n *Node) EnableMFADevice(ctx context.Context, c *AWSCaller, name, serial, code1, code2 string) error {
	return n.pairCommand(ctx, c, "iam:EnableMFADevice", name, serial, code1, code2, false)
}

// ResyncMFADevice re-anchors an enabled device with two consecutive codes.
func (n *Node) ResyncMFADevice(ctx context.Context, c *AWSCaller, name, serial, code1, code2 string) error {
	return n.pairCommand(ctx, c, "iam:ResyncMFADevice", name, serial, code1, code2, true)
}

func (n *Node) pairCommand(ctx context.Context, c *AWSCaller, action, name, serial, code1, code2 string, resync bool) error {
	t, err := n.mfaTargetFor(c, action, name)
	if err != nil {
		return err
	}
	d := n.State().VirtualMFADevice(serial)
	if d == nil || d.AccountID != c.AccountID || (resync && d.UserID != t.id) {
		return fsm.NoSuchMFADevice(serial)
	}
	from, to := int64(-enableWindow), int64(1)
	if resync {
		from, to = -resyncWindow, resyncWindow
	}
	ck, err := n.pairCheck(d, code1, code2, from, to)
	if err != nil {
		return err
	}
	cmd := fsm.EnableMFADevice{AccountID: c.AccountID, Serial: serial, UserID: t.id, UserName: t.name, Check: ck}
	if resync {
		return codeOutcome(applyAs[*fsm.MFACodeResult](ctx, n, fsm.CmdResyncMFADevice, (*fsm.ResyncMFADevice)(&cmd)))
	}
	return codeOutcome(applyAs[*fsm.MFACodeResult](ctx, n, fsm.CmdEnableMFADevice, &cmd))
}

// DeactivateMFADevice unassigns a device from a user (name "": the caller).
func (n *Node) DeactivateMFADevice(ctx context.Context, c *AWSCaller, name, serial string) error {
	t, err := n.mfaTargetFor(c, "iam:DeactivateMFADevice", name)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeactivateMFADevice, fsm.DeactivateMFADevice{AccountID: c.AccountID, Serial: serial, UserID: t.id})
	return err
}

// DeleteVirtualMFADevice deletes an unassigned device.
func (n *Node) DeleteVirtualMFADevice(ctx context.Context, c *AWSCaller, serial string) error {
	if err := n.AuthorizeIAM(c, "iam:DeleteVirtualMFADevice", serial); err != nil {
		return err
	}
	_, err := n.apply(ctx, fsm.CmdDeleteVirtualMFADevice, fsm.DeleteVirtualMFADevice{AccountID: c.AccountID, Serial: serial})
	return err
}

// MFADeviceInfo is one device as the list and get actions show it.
type MFADeviceInfo struct {
	SerialNumber string
	UserName     string // "" for the root or an unassigned device
	User         *fsm.IAMUser
	Root         bool
	EnableDate   time.Time
	Tags         []fsm.Tag
}

func (n *Node) deviceInfo(st *fsm.State, d *fsm.VirtualMFADevice) MFADeviceInfo {
	info := MFADeviceInfo{SerialNumber: d.SerialNumber, EnableDate: d.EnableDate, Tags: d.Tags}
	switch {
	case d.UserID == "":
	case d.UserID == d.AccountID:
		info.Root = true
	default:
		if u := st.IAMUserByID(d.UserID); u != nil {
			info.User, info.UserName = u, u.UserName
		}
	}
	return info
}

func serialKey(d MFADeviceInfo) string { return d.SerialNumber }

// ListMFADevices lists the devices enabled for a user (name "": the caller).
func (n *Node) ListMFADevices(c *AWSCaller, name, marker string, maxItems int) (Page[MFADeviceInfo], error) {
	t, err := n.mfaTargetFor(c, "iam:ListMFADevices", name)
	if err != nil {
		return Page[MFADeviceInfo]{}, err
	}
	st := n.State()
	var out []MFADeviceInfo
	for _, d := range st.UserMFADevices(t.id) {
		if d.AccountID == c.AccountID {
			out = append(out, n.deviceInfo(st, d))
		}
	}
	return paginate(out, serialKey, marker, maxItems)
}

// ListVirtualMFADevices lists the account's devices; status is Any ("" too),
// Assigned or Unassigned.
func (n *Node) ListVirtualMFADevices(c *AWSCaller, status, marker string, maxItems int) (Page[MFADeviceInfo], error) {
	if err := n.AuthorizeIAM(c, "iam:ListVirtualMFADevices", "*"); err != nil {
		return Page[MFADeviceInfo]{}, err
	}
	st := n.State()
	var out []MFADeviceInfo
	for _, d := range st.VirtualMFADevices(c.AccountID) {
		assigned := d.UserID != ""
		if (status == "Assigned" && !assigned) || (status == "Unassigned" && assigned) {
			continue
		}
		out = append(out, n.deviceInfo(st, d))
	}
	return paginate(out, serialKey, marker, maxItems)
}

// GetMFADevice returns a device enabled for a user (name "": the caller).
func (n *Node) GetMFADevice(c *AWSCaller, name, serial string) (MFADeviceInfo, error) {
	t, err := n.mfaTargetFor(c, "iam:GetMFADevice", name)
	if err != nil {
		return MFADeviceInfo{}, err
	}
	st := n.State()
	d := st.VirtualMFADevice(serial)
	if d == nil || d.AccountID != c.AccountID || d.UserID != t.id {
		return MFADeviceInfo{}, fsm.NoSuchMFADevice(serial)
	}
	return n.deviceInfo(st, d), nil
}

// useMFACode consumes one code of the device serial enabled for principal
// userID (STS): AccessDenied with AWS's texts when the serial is not the
// caller's or the code is wrong, reused or the device is locked.
func (n *Node) useMFACode(ctx context.Context, acct, userID, serial, code string) error {
	d := n.State().VirtualMFADevice(serial)
	if d == nil || d.AccountID != acct || d.UserID != userID {
		return iamerr.WithCode(iamerr.Denied, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  "+
			"Please verify your MFA serial number is valid and associated with this user.")
	}
	now := n.now()
	ck := fsm.MFACodeCheck{SecretDigest: fsm.SecretDigest(d.SeedSealed), NowStep: now.Unix() / mfaPeriod, Time: now}
	seed, err := n.openSeed(d)
	if err != nil {
		return err
	}
	if canonicalCode(code, 6) {
		base := ck.NowStep + d.Drift
		for t := base - mfaUseWindow; t <= base+mfaUseWindow; t++ {
			if codeAt(seed, code, t) {
				ck.Step = t
				break
			}
		}
	}
	res, err := applyAs[*fsm.MFACodeResult](ctx, n, fsm.CmdUseMFACode, fsm.UseMFACode{AccountID: acct, Serial: serial, UserID: userID, Check: ck})
	if err != nil {
		if iamerr.KindOf(err) == iamerr.NotFound {
			return iamerr.WithCode(iamerr.Denied, "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.")
		}
		return err
	}
	if res == nil || !res.Accepted {
		return iamerr.WithCode(iamerr.Denied, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	}
	return nil
}
