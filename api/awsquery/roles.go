package awsquery

import (
	"time"

	"iamd/fsm"
	"iamd/server"
)

// IAM role actions (spec §5.2). Role inline and attached policies are
// registered with the other owners (policies.go, attachments.go).

func init() {
	registerAction("CreateRole", createRole)
	registerAction("GetRole", getRole)
	registerAction("ListRoles", listRoles)
	registerAction("UpdateRole", updateRole)
	registerAction("UpdateRoleDescription", updateRoleDescription)
	registerAction("UpdateAssumeRolePolicy", updateAssumeRolePolicy)
	registerAction("DeleteRole", deleteRole)
	registerAction("TagRole", tagRole)
	registerAction("UntagRole", untagRole)
	registerAction("ListRoleTags", listRoleTags)
}

// RoleNameRule: roleNameType.
var RoleNameRule = NewUserNameRule

// RoleXML is the Role shape; lists leave Tags out (moto).
type RoleXML struct {
	Path                     string         `xml:"Path"`
	RoleName                 string         `xml:"RoleName"`
	RoleID                   string         `xml:"RoleId"`
	Arn                      string         `xml:"Arn"`
	CreateDate               time.Time      `xml:"CreateDate"`
	AssumeRolePolicyDocument PolicyDocument `xml:"AssumeRolePolicyDocument"`
	Description              string         `xml:"Description,omitempty"`
	MaxSessionDuration       int            `xml:"MaxSessionDuration"`
	Tags                     List[Tag]      `xml:"Tags,omitempty"`
}

// RoleOf renders a role; withTags for Get/Create, not for lists.
func RoleOf(r *fsm.IAMRole, withTags bool) RoleXML {
	x := RoleXML{Path: r.Path, RoleName: r.RoleName, RoleID: r.RoleID, Arn: server.RoleArn(r), CreateDate: r.CreateDate.UTC(),
		AssumeRolePolicyDocument: PolicyDocument(r.AssumeRolePolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration}
	if withTags {
		x.Tags = TagsOf(r.Tags)
	}
	return x
}

type roleResult struct {
	Role RoleXML `xml:"Role"`
}

func createRole(r *Request) (any, error) {
	p := r.Params
	req := server.CreateRoleRequest{
		Name:                p.String("RoleName", RoleNameRule.Req()),
		Path:                p.String("Path", PathRule),
		TrustPolicy:         p.String("AssumeRolePolicyDocument", PolicyDocumentRule.Req()),
		Description:         p.String("Description", RoleDescriptionRule),
		MaxSessionDuration:  p.Int("MaxSessionDuration", server.DefaultRoleMaxDuration, server.MaxRoleMaxDuration, 0),
		Tags:                p.Tags("Tags", false),
		PermissionsBoundary: p.String("PermissionsBoundary", Rule{Min: 20, Max: 2048}),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	role, err := r.Node.CreateIAMRole(r.Ctx, r.Caller, req)
	if err != nil {
		return nil, err
	}
	return roleResult{Role: RoleOf(role, true)}, nil
}

func getRole(r *Request) (any, error) {
	name := r.Params.String("RoleName", RoleNameRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	role, err := r.Node.GetIAMRole(r.Caller, name)
	if err != nil {
		return nil, err
	}
	return roleResult{Role: RoleOf(role, true)}, nil
}

type listRolesResult struct {
	Roles       List[RoleXML] `xml:"Roles"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

func listRoles(r *Request) (any, error) {
	p := r.Params
	prefix := p.String("PathPrefix", PathPrefixRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListIAMRoles(r.Caller, prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listRolesResult{Roles: make(List[RoleXML], len(page.Items)), IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, role := range page.Items {
		out.Roles[i] = RoleOf(role, false)
	}
	return out, nil
}

// updateRoleResult is UpdateRole's empty result element (spec §1.3).
type updateRoleResult struct{}

func updateRole(r *Request) (any, error) {
	p := r.Params
	name := p.String("RoleName", RoleNameRule.Req())
	desc := p.OptString("Description", RoleDescriptionRule)
	maxSession := p.Int("MaxSessionDuration", server.DefaultRoleMaxDuration, server.MaxRoleMaxDuration, 0)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return updateRoleResult{}, r.Node.UpdateIAMRole(r.Ctx, r.Caller, name, desc, maxSession)
}

func updateRoleDescription(r *Request) (any, error) {
	p := r.Params
	name := p.String("RoleName", RoleNameRule.Req())
	desc := p.String("Description", RoleDescriptionRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := r.Node.UpdateIAMRole(r.Ctx, r.Caller, name, &desc, 0); err != nil {
		return nil, err
	}
	return getRole(r)
}

func updateAssumeRolePolicy(r *Request) (any, error) {
	p := r.Params
	name := p.String("RoleName", RoleNameRule.Req())
	doc := p.String("PolicyDocument", PolicyDocumentRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.UpdateIAMAssumeRolePolicy(r.Ctx, r.Caller, name, doc)
}

func deleteRole(r *Request) (any, error) {
	name := r.Params.String("RoleName", RoleNameRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteIAMRole(r.Ctx, r.Caller, name)
}

func tagRole(r *Request) (any, error) {
	p := r.Params
	name := p.String("RoleName", RoleNameRule.Req())
	tags := p.Tags("Tags", true)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.TagIAMRole(r.Ctx, r.Caller, name, tags)
}

func untagRole(r *Request) (any, error) {
	p := r.Params
	name := p.String("RoleName", RoleNameRule.Req())
	keys := p.TagKeys("TagKeys")
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.UntagIAMRole(r.Ctx, r.Caller, name, keys)
}

func listRoleTags(r *Request) (any, error) {
	p := r.Params
	name := p.String("RoleName", RoleNameRule.Req())
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListIAMRoleTags(r.Caller, name, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listUserTagsResult{Tags: TagsOf(page.Items), IsTruncated: page.IsTruncated, Marker: page.Marker}, nil
}
