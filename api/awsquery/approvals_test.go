package awsquery_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	vaultapi "github.com/hashicorp/vault/api"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"iamd/api/apitest"
)

// DeleteUser guarded by multi-user approval answers the documented
// ApprovalPending error (HTTP 409, the approval id in the message) and the
// user is deleted only when the contact approves (spec/account-security.md
// §5.3; docs/account-security.md).
func TestDeleteUserHeldForApproval(t *testing.T) {
	d := apitest.StartDev(t)
	v := d.VaultClient(t, d.RootToken)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nil, v.Sys().EnableAuthWithOptions("userpass", &vaultapi.EnableAuthOptions{Type: "userpass"}))
	must(v.Logical().Write("auth/userpass/users/alice", map[string]any{"password": "pw-alice-123"}))
	method, err := v.Logical().Write("identity/mfa/method/totp", map[string]any{"issuer": "iamd"})
	must(method, err)
	login, err := d.VaultClient(t, "").Logical().Write("auth/userpass/login/alice", map[string]any{"password": "pw-alice-123"})
	must(login, err)
	gen, err := v.Logical().Write("identity/mfa/method/totp/admin-generate", map[string]any{
		"method_id": method.Data["method_id"], "entity_id": login.Auth.EntityID})
	must(gen, err)
	key, err := otp.NewKeyFromURL(gen.Data["url"].(string))
	must(key, err)
	must(v.Logical().Write("sys/security/mua", map[string]any{"enabled": true, "contacts": []map[string]any{
		{"entity_id": login.Auth.EntityID, "activities": []string{"delete_user"}}}}))

	ctx := context.Background()
	c := rootClient(d)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantCode(t, err, "ApprovalPending")
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusConflict {
		t.Fatalf("status of the held request: %v", err)
	}
	id := regexp.MustCompile(`approval id (\S+)`).FindStringSubmatch(err.Error())
	if id == nil {
		t.Fatalf("no approval id in %v", err)
	}
	must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")}))

	code, err := totp.GenerateCode(key.Secret(), time.Now())
	must(code, err)
	alice := d.VaultClient(t, login.Auth.ClientToken)
	s, err := alice.Logical().Write("sys/approvals/"+id[1]+"/approve", map[string]any{"mfa_code": code})
	must(s, err)
	if s.Data["status"] != "approved" {
		t.Fatalf("approval: %v", s.Data)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	wantCode(t, err, "NoSuchEntity")
}
