package awsquery

import (
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// IAM user actions (spec §4.1).

func init() {
	registerAction("CreateUser", createUser)
	registerAction("GetUser", getUser)
	registerAction("ListUsers", listUsers)
	registerAction("UpdateUser", updateUser)
	registerAction("DeleteUser", deleteUser)
	registerAction("SetUserStatus", setUserStatus)
	registerAction("TagUser", tagUser)
	registerAction("UntagUser", untagUser)
	registerAction("ListUserTags", listUserTags)
}

// UserXML is the User shape; lists leave Tags out (spec §4 User fields).
type UserXML struct {
	Path       string    `xml:"Path,omitempty"`
	UserName   string    `xml:"UserName,omitempty"`
	UserID     string    `xml:"UserId"`
	Arn        string    `xml:"Arn"`
	CreateDate time.Time `xml:"CreateDate"`
	Tags       List[Tag] `xml:"Tags,omitempty"`
}

// Tag is the Tag shape.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// UserOf renders a user; withTags for Get/Create, not for lists.
func UserOf(u *fsm.IAMUser, withTags bool) UserXML {
	x := UserXML{Path: u.Path, UserName: u.UserName, UserID: u.UserID, Arn: server.UserArn(u), CreateDate: u.CreateDate.UTC()}
	if withTags {
		x.Tags = TagsOf(u.Tags)
	}
	return x
}

// TagsOf renders tags.
func TagsOf(tags []fsm.Tag) List[Tag] {
	out := make(List[Tag], len(tags))
	for i, t := range tags {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

type userResult struct {
	User UserXML `xml:"User"`
}

func createUser(r *Request) (any, error) {
	p := r.Params
	req := server.CreateUserRequest{
		Name:                p.String("UserName", NewUserNameRule.Req()),
		Path:                p.String("Path", PathRule),
		Tags:                p.Tags("Tags", false),
		PermissionsBoundary: p.String("PermissionsBoundary", Rule{Min: 20, Max: 2048}),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	u, err := r.Node.CreateIAMUser(r.Ctx, r.Caller, req)
	if err != nil {
		return nil, err
	}
	return userResult{User: UserOf(u, true)}, nil
}

func getUser(r *Request) (any, error) {
	name := r.Params.String("UserName", ExistingUserNameRule)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	u, err := r.Node.GetIAMUser(r.Caller, name)
	if err != nil {
		return nil, err
	}
	return userResult{User: UserOf(u, true)}, nil
}

type listUsersResult struct {
	Users       List[UserXML] `xml:"Users"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

func listUsers(r *Request) (any, error) {
	p := r.Params
	prefix := p.String("PathPrefix", PathPrefixRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListIAMUsers(r.Caller, prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listUsersResult{Users: make(List[UserXML], len(page.Items)), IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, u := range page.Items {
		out.Users[i] = UserOf(u, false)
	}
	return out, nil
}

func updateUser(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	newName := p.String("NewUserName", NewUserNameRule)
	newPath := p.String("NewPath", PathRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	_, err := r.Node.UpdateIAMUser(r.Ctx, r.Caller, name, newName, newPath)
	return nil, err
}

func deleteUser(r *Request) (any, error) {
	name := r.Params.String("UserName", ExistingUserNameRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteIAMUser(r.Ctx, r.Caller, name)
}

// setUserStatus is SeaweedFS's extension: Status Active or Inactive.
func setUserStatus(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	status, ok := p.Raw("Status")
	if err := p.Err(); err != nil {
		return nil, err
	}
	if !ok || (status != "Active" && status != "Inactive") {
		return nil, errorWithCode(iamerr.Invalid, "InvalidInput", "Status must be Active or Inactive")
	}
	return nil, r.Node.SetIAMUserStatus(r.Ctx, r.Caller, name, status == "Active")
}

func tagUser(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	tags := p.Tags("Tags", true)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.TagIAMUser(r.Ctx, r.Caller, name, tags)
}

func untagUser(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	keys := p.TagKeys("TagKeys")
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.UntagIAMUser(r.Ctx, r.Caller, name, keys)
}

type listUserTagsResult struct {
	Tags        List[Tag] `xml:"Tags"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

func listUserTags(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListIAMUserTags(r.Caller, name, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listUserTagsResult{Tags: TagsOf(page.Items), IsTruncated: page.IsTruncated, Marker: page.Marker}, nil
}
