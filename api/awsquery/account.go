package awsquery

import (
	"time"

	"iamd/fsm"
	"iamd/server"
)

// GetAccountSummary and GetAccountAuthorizationDetails (spec §4.7).

func init() {
	registerAction("GetAccountSummary", getAccountSummary)
	registerAction("GetAccountAuthorizationDetails", getAccountAuthorizationDetails)
}

type accountSummaryResult struct {
	SummaryMap Map[int] `xml:"SummaryMap"`
}

func getAccountSummary(r *Request) (any, error) {
	entries, err := r.Node.GetAccountSummary(r.Caller)
	if err != nil {
		return nil, err
	}
	out := accountSummaryResult{SummaryMap: make(Map[int], len(entries))}
	for i, e := range entries {
		out.SummaryMap[i] = MapEntry[int]{Key: e.Key, Value: e.Value}
	}
	return out, nil
}

type policyDetailXML struct {
	PolicyName     string         `xml:"PolicyName"`
	PolicyDocument PolicyDocument `xml:"PolicyDocument"`
}

type userDetailXML struct {
	Path                    string                  `xml:"Path"`
	UserName                string                  `xml:"UserName"`
	UserID                  string                  `xml:"UserId"`
	Arn                     string                  `xml:"Arn"`
	CreateDate              time.Time               `xml:"CreateDate"`
	UserPolicyList          List[policyDetailXML]   `xml:"UserPolicyList"`
	GroupList               List[string]            `xml:"GroupList"`
	AttachedManagedPolicies List[AttachedPolicyXML] `xml:"AttachedManagedPolicies"`
	Tags                    List[Tag]               `xml:"Tags,omitempty"`
}

type groupDetailXML struct {
	Path                    string                  `xml:"Path"`
	GroupName               string                  `xml:"GroupName"`
	GroupID                 string                  `xml:"GroupId"`
	Arn                     string                  `xml:"Arn"`
	CreateDate              time.Time               `xml:"CreateDate"`
	GroupPolicyList         List[policyDetailXML]   `xml:"GroupPolicyList"`
	AttachedManagedPolicies List[AttachedPolicyXML] `xml:"AttachedManagedPolicies"`
}

// roleDetailXML is a RoleDetail; iamd has no instance profiles or
// permissions boundaries on roles, so InstanceProfileList is always empty.
type roleDetailXML struct {
	Path                     string                  `xml:"Path"`
	RoleName                 string                  `xml:"RoleName"`
	RoleID                   string                  `xml:"RoleId"`
	Arn                      string                  `xml:"Arn"`
	CreateDate               time.Time               `xml:"CreateDate"`
	AssumeRolePolicyDocument PolicyDocument          `xml:"AssumeRolePolicyDocument"`
	InstanceProfileList      List[struct{}]          `xml:"InstanceProfileList"`
	RolePolicyList           List[policyDetailXML]   `xml:"RolePolicyList"`
	AttachedManagedPolicies  List[AttachedPolicyXML] `xml:"AttachedManagedPolicies"`
	Tags                     List[Tag]               `xml:"Tags,omitempty"`
}

type managedPolicyDetailXML struct {
	PolicyXML
	PolicyVersionList List[PolicyVersionXML] `xml:"PolicyVersionList"`
}

type authorizationDetailsResult struct {
	UserDetailList  List[userDetailXML]          `xml:"UserDetailList"`
	GroupDetailList List[groupDetailXML]         `xml:"GroupDetailList"`
	RoleDetailList  List[roleDetailXML]          `xml:"RoleDetailList"`
	Policies        List[managedPolicyDetailXML] `xml:"Policies"`
	IsTruncated     bool                         `xml:"IsTruncated"`
	Marker          string                       `xml:"Marker,omitempty"`
}

var entityTypeRule = Rule{Enum: []string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}}

func getAccountAuthorizationDetails(r *Request) (any, error) {
	p := r.Params
	filters, _ := p.List("Filter", entityTypeRule, 0, false)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	d, err := r.Node.GetAccountAuthorizationDetails(r.Caller, filters, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := authorizationDetailsResult{UserDetailList: List[userDetailXML]{}, GroupDetailList: List[groupDetailXML]{},
		RoleDetailList: List[roleDetailXML]{}, Policies: List[managedPolicyDetailXML]{},
		IsTruncated: d.IsTruncated, Marker: d.Marker}
	for _, u := range d.Users {
		out.UserDetailList = append(out.UserDetailList, userDetailXML{Path: u.User.Path, UserName: u.User.UserName,
			UserID: u.User.UserID, Arn: server.UserArn(u.User), CreateDate: u.User.CreateDate.UTC(),
			UserPolicyList: inlineDetails(u.Inline), GroupList: List[string](u.Groups),
			AttachedManagedPolicies: attachedOf(u.Attached), Tags: TagsOf(u.User.Tags)})
	}
	for _, g := range d.Groups {
		out.GroupDetailList = append(out.GroupDetailList, groupDetailXML{Path: g.Group.Path, GroupName: g.Group.GroupName,
			GroupID: g.Group.GroupID, Arn: server.GroupArn(g.Group), CreateDate: g.Group.CreateDate.UTC(),
			GroupPolicyList: inlineDetails(g.Inline), AttachedManagedPolicies: attachedOf(g.Attached)})
	}
	for _, rd := range d.Roles {
		ro := rd.Role
		out.RoleDetailList = append(out.RoleDetailList, roleDetailXML{Path: ro.Path, RoleName: ro.RoleName, RoleID: ro.RoleID,
			Arn: server.RoleArn(ro), CreateDate: ro.CreateDate.UTC(), AssumeRolePolicyDocument: PolicyDocument(ro.AssumeRolePolicy),
			InstanceProfileList: List[struct{}]{}, RolePolicyList: inlineDetails(rd.Inline),
			AttachedManagedPolicies: attachedOf(rd.Attached), Tags: TagsOf(ro.Tags)})
	}
	for _, pd := range d.Policies {
		x := managedPolicyDetailXML{PolicyXML: PolicyOf(pd.Policy, false), PolicyVersionList: make(List[PolicyVersionXML], len(pd.Versions))}
		x.Description = pd.Policy.Description
		for i, v := range pd.Versions {
			x.PolicyVersionList[i] = PolicyVersionOf(v, true)
		}
		out.Policies = append(out.Policies, x)
	}
	return out, nil
}

func inlineDetails(list []*fsm.InlinePolicy) List[policyDetailXML] {
	out := make(List[policyDetailXML], len(list))
	for i, ip := range list {
		out[i] = policyDetailXML{PolicyName: ip.PolicyName, PolicyDocument: PolicyDocument(ip.Document)}
	}
	return out
}
