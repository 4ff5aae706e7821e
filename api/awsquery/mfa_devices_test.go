package awsquery_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestVirtualMFADeviceLifecycle(t *testing.T) {
	d, clock := startWithClock(t)
	root := rootClient(d)
	ak, sk := userKey(t, d, "alice")
	alice := iamClient(d, ak, sk)

	// Self-service: a device named after oneself, without any policy.
	out := must[*iam.CreateVirtualMFADeviceOutput](t)(alice.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("alice")}))
	serial, seed := *out.VirtualMFADevice.SerialNumber, seedOf(out)
	if serial != "arn:aws:iam::"+d.AccountID+":mfa/alice" {
		t.Fatalf("serial %s", serial)
	}
	if len(seed) != 64 || strings.Trim(seed, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("seed %q is not 64 base32 characters", seed)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(out.VirtualMFADevice.QRCodePNG))
	if err != nil || cfg.Width != 200 || cfg.Height != 200 {
		t.Fatalf("QR PNG: %v %dx%d", err, cfg.Width, cfg.Height)
	}
	if _, err := png.Decode(bytes.NewReader(out.VirtualMFADevice.QRCodePNG)); err != nil {
		t.Fatal(err)
	}
	_, err = alice.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("bob")})
	wantCode(t, err, "AccessDenied")
	_, err = root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice")})
	wantCode(t, err, "EntityAlreadyExists")

	unassigned := must[*iam.ListVirtualMFADevicesOutput](t)(root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{
		AssignmentStatus: types.AssignmentStatusTypeUnassigned}))
	if len(unassigned.VirtualMFADevices) != 1 || unassigned.VirtualMFADevices[0].Base32StringSeed != nil {
		t.Fatalf("unassigned: %+v", unassigned.VirtualMFADevices)
	}

	now := clock.Now()
	prev, cur, next := codeAt(t, seed, now.Add(-30*time.Second)), codeAt(t, seed, now), codeAt(t, seed, now.Add(30*time.Second))
	enable := func(c1, c2 string) error {
		_, err := alice.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		return err
	}
	wantCode(t, enable(cur, prev), "InvalidAuthenticationCode")  // not in order
	wantCode(t, enable(prev, next), "InvalidAuthenticationCode") // not consecutive
	wantCode(t, enable(wrong(cur), next), "InvalidAuthenticationCode")
	wantCode(t, enable("12345", cur), "ValidationError")
	_, err = alice.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial + "x"),
		AuthenticationCode1: aws.String(prev), AuthenticationCode2: aws.String(cur)})
	wantCode(t, err, "NoSuchEntity")
	if got := must[*iam.ListMFADevicesOutput](t)(alice.ListMFADevices(ctx, &iam.ListMFADevicesInput{})); len(got.MFADevices) != 0 {
		t.Fatalf("failed enables changed state: %+v", got.MFADevices)
	}
	if err := enable(prev, cur); err != nil {
		t.Fatal(err)
	}
	// The same pair again: the device is taken (and the codes are spent).
	wantCode(t, enable(prev, cur), "EntityAlreadyExists")

	mine := must[*iam.ListMFADevicesOutput](t)(alice.ListMFADevices(ctx, &iam.ListMFADevicesInput{}))
	if len(mine.MFADevices) != 1 || *mine.MFADevices[0].SerialNumber != serial || *mine.MFADevices[0].UserName != "alice" ||
		mine.MFADevices[0].EnableDate == nil {
		t.Fatalf("ListMFADevices: %+v", mine.MFADevices)
	}
	got := must[*iam.GetMFADeviceOutput](t)(alice.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial)}))
	if aws.ToString(got.UserName) != "alice" {
		t.Fatalf("GetMFADevice: %+v", got)
	}
	assigned := must[*iam.ListVirtualMFADevicesOutput](t)(root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{
		AssignmentStatus: types.AssignmentStatusTypeAssigned}))
	if len(assigned.VirtualMFADevices) != 1 || aws.ToString(assigned.VirtualMFADevices[0].User.UserName) != "alice" {
		t.Fatalf("assigned: %+v", assigned.VirtualMFADevices)
	}
	if un := must[*iam.ListVirtualMFADevicesOutput](t)(root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{
		AssignmentStatus: types.AssignmentStatusTypeUnassigned})); len(un.VirtualMFADevices) != 0 {
		t.Fatalf("unassigned after enable: %+v", un.VirtualMFADevices)
	}

	// Deactivating and deleting need a policy; a device in use cannot go.
	_, err = alice.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(serial)})
	wantCode(t, err, "AccessDenied")
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DeleteAccessKeyOutput](t)(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(ak)}))
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DeactivateMFADeviceOutput](t)(root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)}))
	_, err = root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)})
	wantCode(t, err, "NoSuchEntity")
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial + "x")})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.DeleteVirtualMFADeviceOutput](t)(root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))
	must[*iam.DeleteUserOutput](t)(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}))
}

// wrong returns another valid-looking code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestRootMFADeviceAndLockout(t *testing.T) {
	d, clock := startWithClock(t)
	root := rootClient(d)
	serial, seed := enrol(t, root, clock, "root-device", d.AccountID)
	mine := must[*iam.ListMFADevicesOutput](t)(root.ListMFADevices(ctx, &iam.ListMFADevicesInput{}))
	if len(mine.MFADevices) != 1 || *mine.MFADevices[0].SerialNumber != serial {
		t.Fatalf("root devices: %+v", mine.MFADevices)
	}
	sum := must[*iam.GetAccountSummaryOutput](t)(root.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).SummaryMap
	if sum["MFADevices"] != 1 || sum["MFADevicesInUse"] != 1 || sum["AccountMFAEnabled"] != 1 {
		t.Fatalf("summary %v", sum)
	}
	// Resync with the next two periods; then five wrong pairs lock the
	// device: even right codes are refused until the window ends.
	clock.Advance(time.Minute)
	now := clock.Now()
	resync := func(c1, c2 string) error {
		_, err := root.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String(d.AccountID), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		return err
	}
	if err := resync(codeAt(t, seed, now), codeAt(t, seed, now.Add(30*time.Second))); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		wantCode(t, resync("000000", "000000"), "InvalidAuthenticationCode")
	}
	clock.Advance(30 * time.Second)
	now = clock.Now()
	wantCode(t, resync(codeAt(t, seed, now.Add(30*time.Second)), codeAt(t, seed, now.Add(60*time.Second))), "InvalidAuthenticationCode")
	clock.Advance(time.Minute)
	now = clock.Now()
	if err := resync(codeAt(t, seed, now.Add(30*time.Second)), codeAt(t, seed, now.Add(60*time.Second))); err != nil {
		t.Fatalf("after the lock window: %v", err)
	}
}

func TestMFASelfServiceCanBeRequiredByPolicy(t *testing.T) {
	d, _ := startWithClock(t)
	d.Node.SetIAMMFASelfService(false)
	ak, sk := userKey(t, d, "erin")
	erin := iamClient(d, ak, sk)
	_, err := erin.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("erin")})
	wantCode(t, err, "AccessDenied")
	_, err = erin.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	wantCode(t, err, "AccessDenied")
	root := rootClient(d)
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("erin"),
		PolicyName: aws.String("mfa"), PolicyDocument: aws.String(allow("iam:CreateVirtualMFADevice", "arn:aws:iam::"+d.AccountID+":mfa/*"))}))
	must[*iam.CreateVirtualMFADeviceOutput](t)(erin.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("any-name")}))

	// With self-service on, an explicit Deny still wins.
	d.Node.SetIAMMFASelfService(true)
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("erin"),
		PolicyName: aws.String("nolist"), PolicyDocument: aws.String(deny("iam:ListMFADevices", "*"))}))
	_, err = erin.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	wantCode(t, err, "AccessDenied")
}
