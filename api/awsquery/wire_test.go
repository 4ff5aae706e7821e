package awsquery_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/labstack/echo/v4"

	"iamd/api/apitest"
	"iamd/api/awsquery"
)

func TestActionErrors(t *testing.T) {
	d := apitest.StartDev(t)
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "NoSuchThing", "Version", "2010-05-08")).
		wantError(t, 400, "InvalidAction")
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Version", "2010-05-08")).
		wantError(t, 400, "MissingAction")
	// Authentication comes before the action check.
	signedPost(t, d, d.AccessKey, "wrong-secret", "iam", timeZero, form("Action", "NoSuchThing")).
		wantError(t, 403, "SignatureDoesNotMatch")
}

func TestUnsignedAndMalformed(t *testing.T) {
	d := apitest.StartDev(t)
	resp, err := http.Post(d.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("unsigned: status %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, d.URL+"/?Action=ListUsers", strings.NewReader("Action=ListUsers"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(t, req).wantError(t, 400, "InvalidQueryParameter")
	req, _ = http.NewRequest(http.MethodPost, d.URL+"/", strings.NewReader("Action=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(t, req).wantError(t, 400, "InvalidQueryParameter")
	req, _ = http.NewRequest(http.MethodPut, d.URL+"/", nil)
	if r := do(t, req); r.Status != 400 || !strings.Contains(r.Body, "InvalidAction") {
		t.Fatalf("PUT /: %d %s", r.Status, r.Body)
	}
	// The Vault dialect is untouched.
	if r := do(t, mustReq(t, http.MethodGet, d.URL+"/v1/sys/health")); r.Status != 200 {
		t.Fatalf("/v1/sys/health: %d %s", r.Status, r.Body)
	}
}

func TestBodyLimitAndContentType(t *testing.T) {
	d := apitest.StartDev(t)
	e := echo.New()
	awsquery.Register(e, d.Node, 1024)
	srv := httptest.NewServer(e)
	defer srv.Close()
	small := &apitest.Dev{URL: srv.URL, AccessKey: d.AccessKey, SecretKey: d.SecretKey}
	signedPost(t, small, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "ListUsers", "Version", "2010-05-08", "Pad", strings.Repeat("x", 2000))).
		wantError(t, 413, "RequestEntityTooLarge")
	if r := signedPost(t, small, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "ListUsers", "Version", "2010-05-08")); r.Status != 200 {
		t.Fatalf("small request: %d %s", r.Status, r.Body)
	}
	// A body without a Content-Length (chunked) is read to its end, within
	// the same limit.
	chunked := func(body string) rawResponse {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", io.MultiReader(strings.NewReader(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sign(t, req, body, aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}, time.Now())
		if req.ContentLength != 0 {
			t.Fatalf("request has a length: %d", req.ContentLength)
		}
		return do(t, req)
	}
	if r := chunked("Action=ListUsers&Version=2010-05-08"); r.Status != 200 || !strings.Contains(r.Body, "<ListUsersResult>") {
		t.Fatalf("chunked body: %d %s", r.Status, r.Body)
	}
	chunked("Action=ListUsers&Version=2010-05-08&Pad="+strings.Repeat("x", 2000)).wantError(t, 413, "RequestEntityTooLarge")
	// A body of another content type carries no parameters.
	body := "Action=ListUsers&Version=2010-05-08"
	req, _ := http.NewRequest(http.MethodPost, d.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sign(t, req, body, aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}, time.Now())
	do(t, req).wantError(t, 400, "MissingAction")
	// GET with the header form and everything in the query.
	req, _ = http.NewRequest(http.MethodGet, d.URL+"/?Action=ListUsers&Version=2010-05-08", nil)
	sign(t, req, "", aws.Credentials{AccessKeyID: d.AccessKey, SecretAccessKey: d.SecretKey}, time.Now())
	if r := do(t, req); r.Status != 200 || !strings.Contains(r.Body, "<ListUsersResult>") {
		t.Fatalf("GET with Authorization: %d %s", r.Status, r.Body)
	}
}

// Group membership blocks DeleteUser (groups are part B's actions; the
// conflict is decided in the user's delete).
func TestDeleteUserConflicts(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("m")}))
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.AddUserToGroupOutput](t)(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("m")}))
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("m")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.RemoveUserFromGroupOutput](t)(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("g"), UserName: aws.String("m")}))
	p := must[*iam.CreatePolicyOutput](t)(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)}))
	must[*iam.AttachUserPolicyOutput](t)(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("m"), PolicyArn: p.Policy.Arn}))
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("m")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DetachUserPolicyOutput](t)(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("m"), PolicyArn: p.Policy.Arn}))
	must[*iam.DeleteUserOutput](t)(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("m")}))
}

func mustReq(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
