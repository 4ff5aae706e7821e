package awsquery

import (
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// IAM group actions (spec §4.5).

func init() {
	registerAction("CreateGroup", createGroup)
	registerAction("GetGroup", getGroup)
	registerAction("ListGroups", listGroups)
	registerAction("UpdateGroup", updateGroup)
	registerAction("DeleteGroup", deleteGroup)
	registerAction("AddUserToGroup", addUserToGroup)
	registerAction("RemoveUserFromGroup", removeUserFromGroup)
	registerAction("ListGroupsForUser", listGroupsForUser)
}

// GroupXML is the Group shape.
type GroupXML struct {
	Path       string    `xml:"Path"`
	GroupName  string    `xml:"GroupName"`
	GroupID    string    `xml:"GroupId"`
	Arn        string    `xml:"Arn"`
	CreateDate time.Time `xml:"CreateDate"`
}

// GroupOf renders a group.
func GroupOf(g *fsm.IAMGroup) GroupXML {
	return GroupXML{Path: g.Path, GroupName: g.GroupName, GroupID: g.GroupID, Arn: server.GroupArn(g), CreateDate: g.CreateDate.UTC()}
}

func groupsOf(groups []*fsm.IAMGroup) List[GroupXML] {
	out := make(List[GroupXML], len(groups))
	for i, g := range groups {
		out[i] = GroupOf(g)
	}
	return out
}

type groupResult struct {
	Group GroupXML `xml:"Group"`
}

func createGroup(r *Request) (any, error) {
	p := r.Params
	name := p.String("GroupName", EntityNameRule.Req())
	path := p.String("Path", PathRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	g, err := r.Node.CreateIAMGroup(r.Ctx, r.Caller, name, path)
	if err != nil {
		return nil, err
	}
	return groupResult{Group: GroupOf(g)}, nil
}

type getGroupResult struct {
	Group       GroupXML      `xml:"Group"`
	Users       List[UserXML] `xml:"Users"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

func getGroup(r *Request) (any, error) {
	p := r.Params
	name := p.String("GroupName", EntityNameRule.Req())
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	g, err := r.Node.GetIAMGroup(r.Caller, name, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := getGroupResult{Group: GroupOf(g.Group), Users: make(List[UserXML], len(g.Members.Items)),
		IsTruncated: g.Members.IsTruncated, Marker: g.Members.Marker}
	for i, u := range g.Members.Items {
		out.Users[i] = UserOf(u, false)
	}
	return out, nil
}

type groupsResult struct {
	Groups      List[GroupXML] `xml:"Groups"`
	IsTruncated bool           `xml:"IsTruncated"`
	Marker      string         `xml:"Marker,omitempty"`
}

func listGroups(r *Request) (any, error) {
	p := r.Params
	prefix := p.String("PathPrefix", PathPrefixRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListIAMGroups(r.Caller, prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return groupsResult{Groups: groupsOf(page.Items), IsTruncated: page.IsTruncated, Marker: page.Marker}, nil
}

// updateGroup also takes SeaweedFS's Disabled=true|false extension.
func updateGroup(r *Request) (any, error) {
	p := r.Params
	req := server.UpdateIAMGroupRequest{
		GroupName: p.String("GroupName", EntityNameRule.Req()),
		NewName:   p.String("NewGroupName", EntityNameRule),
		NewPath:   p.String("NewPath", PathRule),
	}
	disabled, hasDisabled := p.Raw("Disabled")
	if err := p.Err(); err != nil {
		return nil, err
	}
	if hasDisabled {
		switch disabled {
		case "true", "false":
			d := disabled == "true"
			req.Disabled = &d
		default:
			return nil, errorWithCode(iamerr.Invalid, "InvalidInput", "Disabled must be true or false")
		}
	}
	return nil, r.Node.UpdateIAMGroup(r.Ctx, r.Caller, req)
}

func deleteGroup(r *Request) (any, error) {
	name := r.Params.String("GroupName", EntityNameRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteIAMGroup(r.Ctx, r.Caller, name)
}

// membershipParams reads GroupName and UserName.
func membershipParams(p *Params) (group, user string, err error) {
	group = p.String("GroupName", EntityNameRule.Req())
	user = p.String("UserName", ExistingUserNameRule.Req())
	return group, user, p.Err()
}

func addUserToGroup(r *Request) (any, error) {
	group, user, err := membershipParams(r.Params)
	if err != nil {
		return nil, err
	}
	return nil, r.Node.AddUserToIAMGroup(r.Ctx, r.Caller, group, user)
}

func removeUserFromGroup(r *Request) (any, error) {
	group, user, err := membershipParams(r.Params)
	if err != nil {
		return nil, err
	}
	return nil, r.Node.RemoveUserFromIAMGroup(r.Ctx, r.Caller, group, user)
}

func listGroupsForUser(r *Request) (any, error) {
	p := r.Params
	user := p.String("UserName", ExistingUserNameRule.Req())
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListIAMGroupsForUser(r.Caller, user, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return groupsResult{Groups: groupsOf(page.Items), IsTruncated: page.IsTruncated, Marker: page.Marker}, nil
}
