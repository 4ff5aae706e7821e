package awsquery_test

import (
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api/apitest"
)

// DeleteUser guarded by multi-user approval answers the documented
// ApprovalPending error (HTTP 409, the approval id in the message) and the
// user is deleted only when the contact approves (spec/account-security.md
// §5.3; docs/account-security.md).
func TestDeleteUserHeldForApproval(t *testing.T) {
	d := apitest.StartDev(t)
	approve := securityContact(t, d, time.Now, "delete_user")
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	id := heldForApproval(t, err)
	must[*iam.GetUserOutput](t)(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")}))

	approve(id)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	wantCode(t, err, "NoSuchEntity")
}

// IAM DeactivateMFADevice is the spec's "deactivate an MFA device"
// activity: held until the contact approves, then the device is unassigned.
func TestDeactivateMFADeviceHeldForApproval(t *testing.T) {
	d, clock := startWithClock(t)
	approve := securityContact(t, d, clock.Now, "deactivate_mfa_device")
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	serial, _ := enrol(t, c, clock, "bob-phone", "bob")

	_, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(serial)})
	id := heldForApproval(t, err)
	if got := must[*iam.ListMFADevicesOutput](t)(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob")})); len(got.MFADevices) != 1 {
		t.Fatalf("the held request changed the devices: %+v", got.MFADevices)
	}

	approve(id)
	if got := must[*iam.ListMFADevicesOutput](t)(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob")})); len(got.MFADevices) != 0 {
		t.Fatalf("device still assigned after approval: %+v", got.MFADevices)
	}
	// Unassigned now, so it can be deleted.
	must[*iam.DeleteVirtualMFADeviceOutput](t)(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))
}

// securityContact: see apitest.Dev.SecurityContact.
func securityContact(t *testing.T, d *apitest.Dev, now func() time.Time, activities ...string) (approve func(id string)) {
	t.Helper()
	return d.SecurityContact(t, now, activities...)
}

// heldForApproval checks the IAM dialect's answer to a guarded request
// (ApprovalPending, HTTP 409) and returns the approval id it names.
func heldForApproval(t *testing.T, err error) string {
	t.Helper()
	wantCode(t, err, "ApprovalPending")
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusConflict {
		t.Fatalf("status of the held request: %v", err)
	}
	id := regexp.MustCompile(`approval id (\S+)`).FindStringSubmatch(err.Error())
	if id == nil {
		t.Fatalf("no approval id in %v", err)
	}
	return id[1]
}
