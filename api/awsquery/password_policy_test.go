package awsquery_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

func TestAccountPasswordPolicyLifecycleAndEnforcement(t *testing.T) {
	d := apitest.StartDev(t)
	ctx := context.Background()
	c := rootClient(d)
	_, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(7)})
	wantCode(t, err, "ValidationError")
	_, err = c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{PasswordReusePrevention: aws.Int32(25)})
	wantCode(t, err, "ValidationError")
	if _, err := c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, PasswordReusePrevention: aws.Int32(2), MaxPasswordAge: aws.Int32(90),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	p := got.PasswordPolicy
	if aws.ToInt32(p.MinimumPasswordLength) != 12 || !p.RequireSymbols || !p.RequireNumbers || !p.RequireUppercaseCharacters ||
		p.RequireLowercaseCharacters || aws.ToInt32(p.PasswordReusePrevention) != 2 || !p.ExpirePasswords ||
		aws.ToInt32(p.MaxPasswordAge) != 90 {
		t.Fatalf("policy = %+v", p)
	}

	// Userpass passwords are checked against it, each violation named.
	v := d.VaultClient(t, d.RootToken)
	if err := v.Sys().EnableAuthWithOptions("userpass", &vaultapi.EnableAuthOptions{Type: "userpass"}); err != nil {
		t.Fatal(err)
	}
	setPw := func(pw string) error {
		_, err := v.Logical().Write("auth/userpass/users/bob", map[string]any{"password": pw})
		return err
	}
	for pw, want := range map[string]string{
		"Sh0rt!":          "between 12 and 128 characters",
		"NoDigitsHere!!!": "must contain a number",
		"N0SYMBOLSHERE12": "must contain a symbol",
		"lowercase-only1": "must contain an uppercase letter",
	} {
		err := setPw(pw)
		if err == nil || !strings.Contains(err.Error(), "Password does not conform to the account password policy") ||
			!strings.Contains(err.Error(), want) {
			t.Fatalf("password %q: %v, want a violation naming %q", pw, err, want)
		}
	}
	for _, pw := range []string{"First-Passw0rd", "Second-Passw0rd"} {
		if err := setPw(pw); err != nil {
			t.Fatalf("valid password %q refused: %v", pw, err)
		}
	}
	if err := setPw("First-Passw0rd"); err == nil || !strings.Contains(err.Error(), "last 2 passwords") {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := v.Logical().Write("auth/userpass/users/bob/password", map[string]any{"password": "Second-Passw0rd"}); err == nil {
		t.Fatal("reuse through users/:name/password accepted")
	}
	if err := setPw("Third-Passw0rd"); err != nil {
		t.Fatal(err)
	}

	if _, err := c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	wantCode(t, err, "NoSuchEntity")
	if err := setPw("short"); err != nil {
		t.Fatalf("no policy, yet refused: %v", err)
	}
}
