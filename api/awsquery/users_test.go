package awsquery_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"iamd/api/apitest"
)

func TestUserLifecycle(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	before := time.Now().Add(-time.Second)

	out := must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("Alice"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("infra")}, {Key: aws.String("empty"), Value: aws.String("")}},
	}))
	u := out.User
	if *u.UserName != "Alice" || *u.Path != "/eng/" || *u.Arn != "arn:aws:iam::"+d.AccountID+":user/eng/Alice" ||
		!strings.HasPrefix(*u.UserId, "AIDA") || len(*u.UserId) != 21 || u.CreateDate.Before(before) || len(u.Tags) != 2 {
		t.Fatalf("created user: %+v", u)
	}

	// Names are unique ignoring case; the stored case is kept.
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "EntityAlreadyExists")

	got := must[*iam.GetUserOutput](t)(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")}))
	if *got.User.UserName != "Alice" || *got.User.UserId != *u.UserId || len(got.User.Tags) != 2 {
		t.Fatalf("GetUser: %+v", got.User)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	wantCode(t, err, "NoSuchEntity")

	// No UserName: the caller, here the account root.
	root := must[*iam.GetUserOutput](t)(c.GetUser(ctx, &iam.GetUserInput{}))
	if *root.User.Arn != "arn:aws:iam::"+d.AccountID+":root" || *root.User.UserId != d.AccountID || root.User.UserName != nil {
		t.Fatalf("GetUser as root: %+v", root.User)
	}

	// Rename and move: the ARN follows, the old name is gone.
	must[*iam.UpdateUserOutput](t)(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"),
		NewUserName: aws.String("alicia"), NewPath: aws.String("/ops/")}))
	got = must[*iam.GetUserOutput](t)(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alicia")}))
	if *got.User.Arn != "arn:aws:iam::"+d.AccountID+":user/ops/alicia" || *got.User.UserId != *u.UserId {
		t.Fatalf("after rename: %+v", got.User)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}))
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alicia"), NewUserName: aws.String("CAROL")})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("nobody"), NewUserName: aws.String("x")})
	wantCode(t, err, "NoSuchEntity")

	must[*iam.DeleteUserOutput](t)(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alicia")}))
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alicia")})
	wantCode(t, err, "NoSuchEntity")
}

func TestListUsersPagination(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("user%d", i)
		if i%2 == 1 {
			name = strings.ToUpper(name) // sorted ignoring case
		}
		path := "/"
		if i < 3 {
			path = "/team/a/"
		}
		must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path),
			Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
		want = append(want, name)
	}
	list := func(prefix *string) []string {
		var names []string
		pages := 0
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2), PathPrefix: prefix})
		for p.HasMorePages() {
			page := must[*iam.ListUsersOutput](t)(p.NextPage(ctx))
			pages++
			for _, u := range page.Users {
				if u.Tags != nil {
					t.Fatalf("ListUsers returned tags: %+v", u)
				}
				names = append(names, *u.UserName)
			}
		}
		if pages != (len(names)+1)/2 {
			t.Fatalf("%d pages for %d users", pages, len(names))
		}
		return names
	}
	if got := list(nil); !slices.Equal(got, want) {
		t.Fatalf("ListUsers = %v, want %v", got, want)
	}
	if got := list(aws.String("/team/")); !slices.Equal(got, want[:3]) {
		t.Fatalf("ListUsers /team/ = %v", got)
	}
	// No users under a prefix: an empty, present list.
	empty := must[*iam.ListUsersOutput](t)(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/none/")}))
	if len(empty.Users) != 0 || empty.IsTruncated {
		t.Fatalf("empty list: %+v", empty)
	}
	// A marker survives a deletion of the user it points past.
	first := must[*iam.ListUsersOutput](t)(c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(3)}))
	must[*iam.DeleteUserOutput](t)(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: first.Users[2].UserName}))
	rest := must[*iam.ListUsersOutput](t)(c.ListUsers(ctx, &iam.ListUsersInput{Marker: first.Marker}))
	if len(rest.Users) != 4 || *rest.Users[0].UserName != want[3] {
		t.Fatalf("after marker: %+v", rest.Users)
	}
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("garbage")})
	wantCode(t, err, "ValidationError")
}

func TestUserTags(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("t")}))
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	must[*iam.TagUserOutput](t)(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{tag("Env", "dev"), tag("a", "1")}}))
	// Same key in another case overwrites.
	must[*iam.TagUserOutput](t)(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{tag("env", "prod")}}))
	tags := must[*iam.ListUserTagsOutput](t)(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("t")}))
	if len(tags.Tags) != 2 || *tags.Tags[0].Key != "a" || *tags.Tags[1].Key != "env" || *tags.Tags[1].Value != "prod" {
		t.Fatalf("tags: %+v", tags.Tags)
	}
	_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{tag("x", "1"), tag("X", "2")}})
	wantCode(t, err, "InvalidInput")
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{tag("bad key!", "1")}})
	wantCode(t, err, "ValidationError")
	var many []types.Tag
	for i := range 49 {
		many = append(many, tag(fmt.Sprintf("k%02d", i), "v"))
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: many})
	wantCode(t, err, "LimitExceeded") // 2 + 49 > 50
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: append(many, tag("y", ""), tag("z", ""))})
	wantCode(t, err, "ValidationError") // 51 in one request
	_, err = c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")

	must[*iam.UntagUserOutput](t)(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("t"), TagKeys: []string{"ENV", "absent"}}))
	// An empty key list arrives as TagKeys= and removes nothing.
	must[*iam.UntagUserOutput](t)(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("t"), TagKeys: []string{}}))
	tags = must[*iam.ListUserTagsOutput](t)(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("t"), MaxItems: aws.Int32(1)}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "a" || tags.IsTruncated {
		t.Fatalf("after untag: %+v", tags)
	}
}

func TestUserValidation(t *testing.T) {
	d := apitest.StartDev(t)
	post := func(kv ...string) rawResponse {
		return signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form(append([]string{"Version", "2010-05-08"}, kv...)...))
	}
	r := post("Action", "CreateUser")
	r.wantError(t, 400, "ValidationError")
	if !strings.Contains(r.Body, "Value null at &#39;userName&#39; failed to satisfy constraint: Member must not be null") &&
		!strings.Contains(r.Body, "Value null at 'userName' failed to satisfy constraint: Member must not be null") {
		t.Fatalf("missing UserName: %s", r.Body)
	}
	r = post("Action", "CreateUser", "UserName", "a b", "Path", "noslash")
	r.wantError(t, 400, "ValidationError")
	if !strings.Contains(r.Body, "2 validation errors detected") {
		t.Fatalf("two violations: %s", r.Body)
	}
	post("Action", "CreateUser", "UserName", strings.Repeat("x", 65)).wantError(t, 400, "ValidationError")
	post("Action", "CreateUser", "UserName", "").wantError(t, 400, "ValidationError")
	post("Action", "CreateUser", "UserName", "é").wantError(t, 400, "ValidationError")
	post("Action", "CreateUser", "UserName", "x\xff").wantError(t, 400, "ValidationError")
	post("Action", "CreateUser", "UserName", "ok", "PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess").
		wantError(t, 400, "InvalidInput")
	post("Action", "ListUsers", "MaxItems", "0").wantError(t, 400, "ValidationError")
	post("Action", "ListUsers", "MaxItems", "many").wantError(t, 400, "ValidationError")
	post("Action", "SetUserStatus", "UserName", "ok", "Status", "Sleeping").wantError(t, 400, "InvalidInput")

	// Nothing was stored by any of these.
	users := must[*iam.ListUsersOutput](t)(rootClient(d).ListUsers(ctx, &iam.ListUsersInput{}))
	if len(users.Users) != 0 {
		t.Fatalf("users stored by bad requests: %+v", users.Users)
	}

	// The envelope, namespace and an empty required list.
	q := url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}}
	r = signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, q)
	if r.Status != 200 || !strings.Contains(r.Body, "<Users></Users>") || !strings.Contains(r.Body, `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">`) {
		t.Fatalf("ListUsers raw: %d %s", r.Status, r.Body)
	}
}
