package awsquery_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api/apitest"
)

func TestLoginProfileLifecycle(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	alice := aws.String("alice")
	must[*iam.CreateUserOutput](t)(root.CreateUser(ctx, &iam.CreateUserInput{UserName: alice}))

	_, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: alice})
	wantCode(t, err, "NoSuchEntity")
	if !strings.Contains(err.Error(), "Login Profile for User alice cannot be found.") {
		t.Fatalf("message: %v", err)
	}
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("Whatever-123")})
	wantCode(t, err, "NoSuchEntity")
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: alice})
	wantCode(t, err, "ValidationError")

	created := must[*iam.CreateLoginProfileOutput](t)(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{
		UserName: alice, Password: aws.String("First-Passw0rd"), PasswordResetRequired: true}))
	lp := created.LoginProfile
	if aws.ToString(lp.UserName) != "alice" || lp.CreateDate == nil || lp.CreateDate.IsZero() || !lp.PasswordResetRequired {
		t.Fatalf("created %+v", lp)
	}
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: alice, Password: aws.String("Other-Passw0rd")})
	wantCode(t, err, "EntityAlreadyExists")

	got := must[*iam.GetLoginProfileOutput](t)(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: alice}))
	if aws.ToString(got.LoginProfile.UserName) != "alice" || !got.LoginProfile.PasswordResetRequired ||
		!got.LoginProfile.CreateDate.Equal(*lp.CreateDate) {
		t.Fatalf("got %+v", got.LoginProfile)
	}

	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: alice})
	wantCode(t, err, "DeleteConflict")
	if !strings.Contains(err.Error(), "login profile") {
		t.Fatalf("message: %v", err)
	}

	must[*iam.UpdateLoginProfileOutput](t)(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: alice, PasswordResetRequired: aws.Bool(false)}))
	got = must[*iam.GetLoginProfileOutput](t)(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: alice}))
	if got.LoginProfile.PasswordResetRequired {
		t.Fatalf("reset flag not cleared: %+v", got.LoginProfile)
	}
	// A password-only update leaves the flag alone.
	must[*iam.UpdateLoginProfileOutput](t)(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: alice, Password: aws.String("Second-Passw0rd")}))
	got = must[*iam.GetLoginProfileOutput](t)(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: alice}))
	if got.LoginProfile.PasswordResetRequired {
		t.Fatalf("flag changed by a password update: %+v", got.LoginProfile)
	}
	_, err = root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("Second-Passw0rd")})
	wantCode(t, err, "NoSuchEntity")

	must[*iam.DeleteLoginProfileOutput](t)(root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: alice}))
	_, err = root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: alice})
	wantCode(t, err, "NoSuchEntity")
	_, err = root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: alice})
	wantCode(t, err, "NoSuchEntity")
	_, err = root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: alice, PasswordResetRequired: aws.Bool(true)})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.DeleteUserOutput](t)(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: alice}))
}

func wantViolation(t *testing.T, err error, rule string) {
	t.Helper()
	wantCode(t, err, "PasswordPolicyViolation")
	if !strings.Contains(err.Error(), rule) {
		t.Fatalf("violation does not name %q: %v", rule, err)
	}
}

func TestLoginProfilePasswordPolicyAndChangePassword(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	must[*iam.UpdateAccountPasswordPolicyOutput](t)(root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), RequireNumbers: true, RequireSymbols: true, PasswordReusePrevention: aws.Int32(2)}))
	aliceClient := clientForNewUser(t, d, "alice")
	alice := aws.String("alice")

	// Create: each broken rule is named.
	_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: alice, Password: aws.String("Sh0rt!")})
	wantViolation(t, err, "between 12 and 128 characters")
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: alice, Password: aws.String("NoDigitsHere!!!")})
	wantViolation(t, err, "must contain a number")
	_, err = root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: alice})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.CreateLoginProfileOutput](t)(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: alice, Password: aws.String("Good-Passw0rd-1")}))

	// Update: policy and reuse of the last 2.
	_, err = root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: alice, Password: aws.String("NoSymbols12345")})
	wantViolation(t, err, "must contain a symbol")
	_, err = root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: alice, Password: aws.String("Good-Passw0rd-1")})
	wantViolation(t, err, "must differ from the last 2 passwords")
	must[*iam.UpdateLoginProfileOutput](t)(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: alice,
		Password: aws.String("Good-Passw0rd-2"), PasswordResetRequired: aws.Bool(true)}))

	// ChangePassword needs iam:ChangePassword on the caller's own ARN
	// (AllowUsersToChangePassword is off).
	change := func(oldPw, newPw string) error {
		_, err := aliceClient.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(oldPw), NewPassword: aws.String(newPw)})
		return err
	}
	wantCode(t, change("Good-Passw0rd-2", "Good-Passw0rd-3"), "AccessDenied")
	userArn := "arn:aws:iam::" + d.AccountID + ":user/alice"
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: alice,
		PolicyName: aws.String("own-password"), PolicyDocument: aws.String(allow("iam:ChangePassword", userArn))}))

	err = change("Wrong-Passw0rd-9", "Good-Passw0rd-3")
	wantCode(t, err, "AccessDenied")
	if !strings.Contains(err.Error(), "old password is incorrect") {
		t.Fatalf("message: %v", err)
	}
	wantViolation(t, change("Good-Passw0rd-2", "short1!"), "between 12 and 128 characters")
	wantViolation(t, change("Good-Passw0rd-2", "Good-Passw0rd-1"), "must differ from the last 2 passwords")
	wantViolation(t, change("Good-Passw0rd-2", "Good-Passw0rd-2"), "must differ from the last 2 passwords")
	if err := change("Good-Passw0rd-2", "Good-Passw0rd-3"); err != nil {
		t.Fatal(err)
	}
	// The old password no longer works; the change cleared the reset flag.
	wantCode(t, change("Good-Passw0rd-2", "Good-Passw0rd-4"), "AccessDenied")
	got := must[*iam.GetLoginProfileOutput](t)(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: alice}))
	if got.LoginProfile.PasswordResetRequired {
		t.Fatalf("reset flag still set after ChangePassword: %+v", got.LoginProfile)
	}
	// Two changes later the first password may be used again.
	if err := change("Good-Passw0rd-3", "Good-Passw0rd-4"); err != nil {
		t.Fatal(err)
	}
	if err := change("Good-Passw0rd-4", "Good-Passw0rd-1"); err != nil {
		t.Fatal(err)
	}

	// The history survives deleting and re-creating the profile.
	must[*iam.DeleteLoginProfileOutput](t)(root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: alice}))
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: alice, Password: aws.String("Good-Passw0rd-4")})
	wantViolation(t, err, "must differ from the last 2 passwords")
	wantCode(t, change("Good-Passw0rd-1", "Good-Passw0rd-5"), "NoSuchEntity")

	// The root has no password to change.
	_, err = root.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("x"), NewPassword: aws.String("Good-Passw0rd-6")})
	wantCode(t, err, "InvalidUserType")

	// AllowUsersToChangePassword lets a user without the permission change
	// its own password.
	bobClient := clientForNewUser(t, d, "bob")
	must[*iam.CreateLoginProfileOutput](t)(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Bobs-Passw0rd-1")}))
	_, err = bobClient.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Bobs-Passw0rd-1"), NewPassword: aws.String("Bobs-Passw0rd-2")})
	wantCode(t, err, "AccessDenied")
	must[*iam.UpdateAccountPasswordPolicyOutput](t)(root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), AllowUsersToChangePassword: true}))
	must[*iam.ChangePasswordOutput](t)(bobClient.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Bobs-Passw0rd-1"), NewPassword: aws.String("Bobs-Passw0rd-2")}))
}
