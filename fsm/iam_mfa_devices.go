package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// IAM virtual MFA devices (commands 410-419, spec/aws-iam.md §4.6). The
// seed is sealed by the server's keyring before it enters the log. The
// proposer opens it and reports which TOTP time steps the codes matched
// (MFACodeCheck); Apply decides everything that must be exact across nodes:
// assignment, the per-user quota, replay (a step at or below the last used
// one is refused, so a code accepted on one node is refused on all) and the
// failed-attempt limit.
const (
	CmdCreateVirtualMFADevice CommandType = 410
	CmdEnableMFADevice        CommandType = 411
	CmdResyncMFADevice        CommandType = 412
	CmdDeactivateMFADevice    CommandType = 413
	CmdDeleteVirtualMFADevice CommandType = 414
	CmdUseMFACode             CommandType = 415
)

// MFA quotas and rate limits.
const (
	MaxMFADevicesPerUser    = 8
	MaxMFADevicesPerAccount = 5000
	// MaxMFAAttempts failed checks of one device within MFAAttemptWindow
	// lock it until the window ends; even a right code is then refused.
	MaxMFAAttempts   = 5
	MFAAttemptWindow = time.Minute
)

// VirtualMFADevice is a TOTP device. UserID is the user it is enabled for
// ("" unassigned; the account ID for the root).
type VirtualMFADevice struct {
	SerialNumber string // arn:aws:iam::<acct>:mfa<path><name>
	AccountID    string
	Name         string
	Path         string
	SeedSealed   []byte
	CreateDate   time.Time
	Tags         []Tag

	UserID     string
	EnableDate time.Time
	// Drift is the step offset measured at the last enable/resync: codes
	// are looked for around now+Drift.
	Drift        int64
	LastUsedStep int64
	Attempts     int
	WindowStart  time.Time
}

const tableMFADevices = "iam_mfa_devices"

func init() {
	registerTable[VirtualMFADevice](&memdb.TableSchema{
		Name: tableMFADevices,
		Indexes: map[string]*memdb.IndexSchema{
			"id":      idIndex("SerialNumber"),
			"account": plainIndex("account", "AccountID"),
			"user":    plainIndex("user", "UserID"),
		},
	})
	register(CmdCreateVirtualMFADevice, "create-virtual-mfa-device", applyCreateVirtualMFADevice)
	register(CmdEnableMFADevice, "enable-mfa-device", applyEnableMFADevice)
	register(CmdResyncMFADevice, "resync-mfa-device", applyResyncMFADevice)
	register(CmdDeactivateMFADevice, "deactivate-mfa-device", applyDeactivateMFADevice)
	register(CmdDeleteVirtualMFADevice, "delete-virtual-mfa-device", applyDeleteVirtualMFADevice)
	register(CmdUseMFACode, "use-mfa-code", applyUseMFACode)
	GuardActivity("deactivate_mfa_device", CmdDeactivateMFADevice)
}

// NoSuchMFADevice is the error for an unknown serial number.
func NoSuchMFADevice(serial string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "VirtualMFADevice with serial number %s doesn't exist.", serial)
}

// MFACodeCheck is the proposer's check of one or two consecutive codes
// against a device's seed.
type MFACodeCheck struct {
	SecretDigest string // SecretDigest of the sealed seed the codes were checked against
	Step         int64  // matched time step of the (first) code; 0: no match
	Step2        int64  // matched step of the second code (enable, resync)
	NowStep      int64  // the proposer's current step, to measure drift
	Time         time.Time
}

// MFACodeResult is the outcome of a code check that Apply recorded
// (failures are results, not errors, so that the attempt counter sticks).
type MFACodeResult struct {
	Accepted bool
	Locked   bool
}

// CreateVirtualMFADevice stores a new, unassigned device.
type CreateVirtualMFADevice struct {
	Device VirtualMFADevice
}

func applyCreateVirtualMFADevice(tx *txn, env Env, cmd *CreateVirtualMFADevice) (any, error) {
	d := cmd.Device
	if first[VirtualMFADevice](tx, tableMFADevices, "id", d.SerialNumber) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "MFADevice entity at the same path and name already exists.")
	}
	if accountCount(tx, tableMFADevices, d.AccountID) >= MaxMFADevicesPerAccount {
		return nil, limitExceeded("Cannot exceed quota for VirtualMFADevicesPerAccount: %d", MaxMFADevicesPerAccount)
	}
	d.UserID, d.EnableDate = "", time.Time{}
	if err := insertCounted(tx, tableMFADevices, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// EnableMFADevice assigns a device to a user (UserID; the account ID for
// the root) after two consecutive codes verified.
type EnableMFADevice struct {
	AccountID string
	Serial    string
	UserID    string
	UserName  string
	Check     MFACodeCheck
}

func applyEnableMFADevice(tx *txn, env Env, cmd *EnableMFADevice) (any, error) {
	d := deviceOf(tx, cmd.AccountID, cmd.Serial)
	if d == nil {
		return nil, NoSuchMFADevice(cmd.Serial)
	}
	if cmd.UserID != cmd.AccountID && userByID(tx, cmd.AccountID, cmd.UserID) == nil {
		return nil, noSuchUser(cmd.UserName)
	}
	if d.UserID != "" {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "MFA Device is already in use.")
	}
	if count(tx, tableMFADevices, "user", cmd.UserID) >= MaxMFADevicesPerUser {
		return nil, limitExceeded("Cannot exceed quota for MFADevicesPerUser: %d", MaxMFADevicesPerUser)
	}
	return judgeCodes(tx, d, cmd.Check, true, func(c *VirtualMFADevice) {
		c.UserID, c.EnableDate = cmd.UserID, cmd.Check.Time
	})
}

// ResyncMFADevice re-anchors an enabled device's drift with two
// consecutive codes.
type ResyncMFADevice EnableMFADevice

func applyResyncMFADevice(tx *txn, env Env, cmd *ResyncMFADevice) (any, error) {
	d, err := assignedDevice(tx, cmd.AccountID, cmd.Serial, cmd.UserID)
	if err != nil {
		return nil, err
	}
	return judgeCodes(tx, d, cmd.Check, true, nil)
}

// UseMFACode consumes one code of a device enabled for UserID (STS
// GetSessionToken and AssumeRole).
type UseMFACode struct {
	AccountID string
	Serial    string
	UserID    string
	Check     MFACodeCheck
}

func applyUseMFACode(tx *txn, env Env, cmd *UseMFACode) (any, error) {
	d, err := assignedDevice(tx, cmd.AccountID, cmd.Serial, cmd.UserID)
	if err != nil {
		return nil, err
	}
	return judgeCodes(tx, d, cmd.Check, false, nil)
}

// judgeCodes decides a code check and records it on a copy of d: attempt
// counter first (a locked device refuses even a right code), then the
// codes: checked against the seed d still holds, matched, consecutive when
// pair is set, and newer than the last step used. On success change (if
// any) is applied too.
func judgeCodes(tx *txn, d *VirtualMFADevice, ck MFACodeCheck, pair bool, change func(*VirtualMFADevice)) (any, error) {
	c := *d
	now := ck.Time
	if c.Attempts >= MaxMFAAttempts && now.Before(c.WindowStart.Add(MFAAttemptWindow)) {
		return &MFACodeResult{Locked: true}, nil
	}
	if !now.Before(c.WindowStart.Add(MFAAttemptWindow)) {
		c.Attempts, c.WindowStart = 0, now
	}
	last := ck.Step
	ok := ck.Step != 0 && ck.SecretDigest == SecretDigest(d.SeedSealed) && ck.Step > d.LastUsedStep
	if pair {
		ok = ok && ck.Step2 == ck.Step+1
		last = ck.Step2
	}
	res := &MFACodeResult{Accepted: ok}
	if ok {
		c.Attempts, c.LastUsedStep = 0, last
		if pair {
			c.Drift = last - ck.NowStep
		}
		if change != nil {
			change(&c)
		}
	} else {
		c.Attempts++
	}
	if err := insert(tx, tableMFADevices, &c); err != nil {
		return nil, err
	}
	return res, nil
}

// DeactivateMFADevice unassigns a device from a user; the seed is kept
// (moto), so it can be enabled again, and its last used step too, so old
// codes stay refused.
type DeactivateMFADevice struct {
	AccountID string
	Serial    string
	UserID    string
}

func applyDeactivateMFADevice(tx *txn, env Env, cmd *DeactivateMFADevice) (any, error) {
	d, err := assignedDevice(tx, cmd.AccountID, cmd.Serial, cmd.UserID)
	if err != nil {
		return nil, err
	}
	c := *d
	c.UserID, c.EnableDate = "", time.Time{}
	return nil, insert(tx, tableMFADevices, &c)
}

// DeleteVirtualMFADevice removes an unassigned device.
type DeleteVirtualMFADevice struct {
	AccountID string
	Serial    string
}

func applyDeleteVirtualMFADevice(tx *txn, env Env, cmd *DeleteVirtualMFADevice) (any, error) {
	d := deviceOf(tx, cmd.AccountID, cmd.Serial)
	if d == nil {
		return nil, NoSuchMFADevice(cmd.Serial)
	}
	if d.UserID != "" {
		return nil, deleteConflict("MFA Device is still in use.")
	}
	return nil, deleteCounted(tx, tableMFADevices, d)
}

// assignedDevice is the account's device serial when it is enabled for
// userID; NoSuchMFADevice otherwise, so a caller cannot tell another
// user's device from a missing one.
func assignedDevice(tx *txn, acct, serial, userID string) (*VirtualMFADevice, error) {
	d := deviceOf(tx, acct, serial)
	if d == nil || d.UserID == "" || d.UserID != userID {
		return nil, NoSuchMFADevice(serial)
	}
	return d, nil
}

func deviceOf(tx *txn, acct, serial string) *VirtualMFADevice {
	d := first[VirtualMFADevice](tx, tableMFADevices, "id", serial)
	if d == nil || d.AccountID != acct {
		return nil
	}
	return d
}

// VirtualMFADevice returns the device with that serial number, or nil.
func (s *State) VirtualMFADevice(serial string) *VirtualMFADevice {
	return first[VirtualMFADevice](s.tx, tableMFADevices, "id", serial)
}

// VirtualMFADevices returns the account's devices by serial number.
func (s *State) VirtualMFADevices(acct string) []*VirtualMFADevice {
	return all[VirtualMFADevice](s.tx, tableMFADevices, "account", acct)
}

// UserMFADevices returns the devices enabled for a user (the account ID for
// the root).
func (s *State) UserMFADevices(userID string) []*VirtualMFADevice {
	return all[VirtualMFADevice](s.tx, tableMFADevices, "user", userID)
}
