package awsquery_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"iamd/api/apitest"
)

// clientForNewUser creates a user with an access key and returns a client
// signing as that user.
func clientForNewUser(t *testing.T, d *apitest.Dev, name string) *iam.Client {
	t.Helper()
	ak, sk := userKey(t, d, name)
	return iamClient(d, ak, sk)
}

func TestGroupLifecycle(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	g := must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Admins"), Path: aws.String("/eng/")}))
	if *g.Group.Arn != "arn:aws:iam::"+d.AccountID+":group/eng/Admins" || !strings.HasPrefix(*g.Group.GroupId, "AGPA") || len(*g.Group.GroupId) != 21 {
		t.Fatalf("group = %+v", g.Group)
	}
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")})
	wantCode(t, err, "EntityAlreadyExists")

	for _, u := range []string{"carol", "alice", "Bob"} {
		must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))
		must[*iam.AddUserToGroupOutput](t)(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String(u)}))
	}
	// Adding a member again succeeds and changes nothing.
	must[*iam.AddUserToGroupOutput](t)(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("alice")}))
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("Admins"), UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")

	// GetGroup pages through members sorted by name ignoring case.
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		out := must[*iam.GetGroupOutput](t)(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Admins"), MaxItems: aws.Int32(2), Marker: marker}))
		if *out.Group.GroupName != "Admins" || pages > 3 {
			t.Fatalf("bad page %+v", out)
		}
		for _, u := range out.Users {
			names = append(names, *u.UserName)
		}
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if fmt.Sprint(names) != "[alice Bob carol]" {
		t.Fatalf("members = %v", names)
	}

	gs := must[*iam.ListGroupsForUserOutput](t)(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("bob")}))
	if len(gs.Groups) != 1 || *gs.Groups[0].GroupName != "Admins" {
		t.Fatalf("groups for bob = %+v", gs.Groups)
	}

	// Rename and move; the ARN follows.
	must[*iam.UpdateGroupOutput](t)(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("Admins"), NewGroupName: aws.String("Ops"), NewPath: aws.String("/")}))
	lg := must[*iam.ListGroupsOutput](t)(c.ListGroups(ctx, &iam.ListGroupsInput{}))
	if len(lg.Groups) != 1 || *lg.Groups[0].Arn != "arn:aws:iam::"+d.AccountID+":group/Ops" {
		t.Fatalf("groups = %+v", lg.Groups)
	}
	lg = must[*iam.ListGroupsOutput](t)(c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/eng/")}))
	if len(lg.Groups) != 0 {
		t.Fatalf("path filter: %+v", lg.Groups)
	}

	// DeleteGroup is refused while members or policies remain.
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Ops")})
	wantCode(t, err, "DeleteConflict")
	// DeleteUser is refused while the user is in a group.
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "DeleteConflict")
	for _, u := range []string{"carol", "alice", "Bob"} {
		must[*iam.RemoveUserFromGroupOutput](t)(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Ops"), UserName: aws.String(u)}))
	}
	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("Ops"), UserName: aws.String("alice")})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.PutGroupPolicyOutput](t)(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("Ops"),
		PolicyName: aws.String("p"), PolicyDocument: aws.String(allow("iam:ListUsers", "*"))}))
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Ops")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DeleteGroupPolicyOutput](t)(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("Ops"), PolicyName: aws.String("p")}))
	must[*iam.AttachGroupPolicyOutput](t)(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("Ops"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Ops")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DetachGroupPolicyOutput](t)(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("Ops"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	must[*iam.DeleteGroupOutput](t)(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("Ops")}))
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("Ops")})
	wantCode(t, err, "NoSuchEntity")
	lg = must[*iam.ListGroupsOutput](t)(c.ListGroups(ctx, &iam.ListGroupsInput{}))
	if lg.Groups == nil || len(lg.Groups) != 0 || lg.IsTruncated {
		t.Fatalf("empty list = %+v", lg)
	}
}

func TestGroupValidationAndExtensions(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("bad name")})
	wantCode(t, err, "ValidationError")
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g"), Path: aws.String("no-slash")})
	wantCode(t, err, "ValidationError")
	_, err = c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("missing")})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	_, err = c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("missing")})
	wantCode(t, err, "NoSuchEntity")

	// SeaweedFS extension: UpdateGroup Disabled=true|false, raw signed POST.
	signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "UpdateGroup", "Version", "2010-05-08",
		"GroupName", "g", "Disabled", "maybe")).wantError(t, 400, "InvalidInput")
	resp := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "UpdateGroup", "Version", "2010-05-08",
		"GroupName", "g", "Disabled", "true"))
	if resp.Status != 200 || !strings.Contains(resp.Body, "<UpdateGroupResponse") {
		t.Fatalf("disable: %d %s", resp.Status, resp.Body)
	}
	if g := d.Node.State().IAMGroup(d.AccountID, "g"); g == nil || !g.Disabled {
		t.Fatal("group not disabled")
	}
}

// Ten groups per user; the eleventh is LimitExceeded.
func TestGroupsPerUserLimit(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	for i := range 11 {
		name := fmt.Sprintf("g%02d", i)
		must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)}))
		_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(name), UserName: aws.String("u")})
		if i < 10 && err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			wantCode(t, err, "LimitExceeded")
		}
	}
}

func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func deny(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// policyText decodes a policy document as Go callers do.
func policyText(t *testing.T, s *string) string {
	t.Helper()
	v, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
