package awsquery

import (
	"iamd/fsm"
	"iamd/server"
)

// Managed policy attachments (spec §4.4).

func init() {
	for _, o := range inlineOwners {
		o := o
		registerAction("Attach"+o.title+"Policy", func(r *Request) (any, error) { return changeAttachment(r, o, true) })
		registerAction("Detach"+o.title+"Policy", func(r *Request) (any, error) { return changeAttachment(r, o, false) })
		registerAction("ListAttached"+o.title+"Policies", func(r *Request) (any, error) { return listAttached(r, o) })
	}
	registerAction("ListEntitiesForPolicy", listEntitiesForPolicy)
}

func changeAttachment(r *Request, o inlineOwner, attach bool) (any, error) {
	p := r.Params
	owner := o.read(p)
	arn := policyArnParam(p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if attach {
		return nil, r.Node.AttachPolicy(r.Ctx, r.Caller, owner, arn)
	}
	return nil, r.Node.DetachPolicy(r.Ctx, r.Caller, owner, arn)
}

// AttachedPolicyXML is the AttachedPolicy shape.
type AttachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

func attachedOf(list []server.AttachedPolicy) List[AttachedPolicyXML] {
	out := make(List[AttachedPolicyXML], len(list))
	for i, a := range list {
		out[i] = AttachedPolicyXML{PolicyName: a.PolicyName, PolicyArn: a.PolicyArn}
	}
	return out
}

type listAttachedResult struct {
	AttachedPolicies List[AttachedPolicyXML] `xml:"AttachedPolicies"`
	IsTruncated      bool                    `xml:"IsTruncated"`
	Marker           string                  `xml:"Marker,omitempty"`
}

func listAttached(r *Request, o inlineOwner) (any, error) {
	p := r.Params
	owner := o.read(p)
	prefix := p.String("PathPrefix", PolicyPathRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListAttachedPolicies(r.Caller, owner, prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listAttachedResult{AttachedPolicies: attachedOf(page.Items), IsTruncated: page.IsTruncated, Marker: page.Marker}, nil
}

type policyGroupXML struct {
	GroupName string `xml:"GroupName"`
	GroupID   string `xml:"GroupId"`
}

type policyUserXML struct {
	UserName string `xml:"UserName"`
	UserID   string `xml:"UserId"`
}

type policyRoleXML struct {
	RoleName string `xml:"RoleName"`
	RoleID   string `xml:"RoleId"`
}

type listEntitiesResult struct {
	PolicyGroups List[policyGroupXML] `xml:"PolicyGroups"`
	PolicyUsers  List[policyUserXML]  `xml:"PolicyUsers"`
	PolicyRoles  List[policyRoleXML]  `xml:"PolicyRoles"`
	IsTruncated  bool                 `xml:"IsTruncated"`
	Marker       string               `xml:"Marker,omitempty"`
}

func listEntitiesForPolicy(r *Request) (any, error) {
	p := r.Params
	arn := policyArnParam(p)
	filter := p.String("EntityFilter", Rule{Enum: []string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}})
	prefix := p.String("PathPrefix", PathRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListEntitiesForPolicy(r.Caller, arn, filter, prefix, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listEntitiesResult{PolicyGroups: List[policyGroupXML]{}, PolicyUsers: List[policyUserXML]{},
		PolicyRoles: List[policyRoleXML]{}, IsTruncated: page.IsTruncated, Marker: page.Marker}
	for _, e := range page.Items {
		switch e.Type {
		case fsm.EntityUser:
			out.PolicyUsers = append(out.PolicyUsers, policyUserXML{UserName: e.Name, UserID: e.ID})
		case fsm.EntityRole:
			out.PolicyRoles = append(out.PolicyRoles, policyRoleXML{RoleName: e.Name, RoleID: e.ID})
		default:
			out.PolicyGroups = append(out.PolicyGroups, policyGroupXML{GroupName: e.Name, GroupID: e.ID})
		}
	}
	return out, nil
}
