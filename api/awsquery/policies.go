package awsquery

import (
	"time"

	"iamd/fsm"
	"iamd/server"
)

// Inline policies of users and groups and customer managed policies with
// their versions and tags (spec §4.3, §4.4). Attachments: attachments.go.

func init() {
	for _, o := range inlineOwners {
		o := o
		registerAction("Put"+o.title+"Policy", func(r *Request) (any, error) { return putInlinePolicy(r, o) })
		registerAction("Get"+o.title+"Policy", func(r *Request) (any, error) { return getInlinePolicy(r, o) })
		registerAction("Delete"+o.title+"Policy", func(r *Request) (any, error) { return deleteInlinePolicy(r, o) })
		registerAction("List"+o.title+"Policies", func(r *Request) (any, error) { return listInlinePolicies(r, o) })
	}
	registerAction("CreatePolicy", createPolicy)
	registerAction("GetPolicy", getPolicy)
	registerAction("DeletePolicy", deletePolicy)
	registerAction("ListPolicies", listPolicies)
	registerAction("CreatePolicyVersion", createPolicyVersion)
	registerAction("GetPolicyVersion", getPolicyVersion)
	registerAction("ListPolicyVersions", listPolicyVersions)
	registerAction("DeletePolicyVersion", deletePolicyVersion)
	registerAction("SetDefaultPolicyVersion", setDefaultPolicyVersion)
	registerAction("TagPolicy", tagPolicy)
	registerAction("UntagPolicy", untagPolicy)
	registerAction("ListPolicyTags", listPolicyTags)
}

// Model constraints of policy parameters (botocore IAM model).
var (
	// PolicyDocumentRule: policyDocumentType.
	PolicyDocumentRule = Rule{Min: 1, Max: 131072,
		Pattern: NewPatternAs(`[\t\n\r\x{20}-\x{FF}]+`, `[\u0009\u000A\u000D\u0020-\u00FF]+`)}
	// PolicyPathRule: policyPathType (CreatePolicy Path, policy PathPrefix).
	PolicyPathRule = Rule{Min: 1, Max: 512, Pattern: NewPatternAs(`((/[A-Za-z0-9\.,\+@=_-]+)*)/`,
		`((/[A-Za-z0-9\.,\+@=_-]+)*)/`)}
	// PolicyArnRule: arnType.
	PolicyArnRule = Rule{Min: 20, Max: 2048}
	// VersionIDRule: policyVersionIdType.
	VersionIDRule = Rule{Pattern: NewPattern(`v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)}
	// DescriptionRule: policyDescriptionType.
	DescriptionRule = Rule{Max: 1000}
	// RoleDescriptionRule: roleDescriptionType, which unlike a policy's
	// has a character pattern.
	RoleDescriptionRule = Rule{Max: 1000, Pattern: NewPatternAs(`[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*`,
		`[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)}
)

// inlineOwner is the owner type of an inline policy family, with its
// parameter name (UserName / GroupName) and rule.
type inlineOwner struct {
	title string // User | Group
	typ   string
	param string
	rule  Rule
}

var inlineOwners = []inlineOwner{
	{"User", fsm.EntityUser, "UserName", ExistingUserNameRule},
	{"Group", fsm.EntityGroup, "GroupName", EntityNameRule},
	{"Role", fsm.EntityRole, "RoleName", NewUserNameRule},
}

func (o inlineOwner) read(p *Params) server.PolicyOwner {
	return server.PolicyOwner{Type: o.typ, Name: p.String(o.param, o.rule.Req())}
}

func putInlinePolicy(r *Request, o inlineOwner) (any, error) {
	p := r.Params
	owner := o.read(p)
	name := p.String("PolicyName", EntityNameRule.Req())
	doc := p.String("PolicyDocument", PolicyDocumentRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.PutIAMInlinePolicy(r.Ctx, r.Caller, owner, name, doc)
}

// inlinePolicyResult is Get{User,Group}Policy's answer; exactly one of
// UserName and GroupName is set.
type inlinePolicyResult struct {
	UserName       string         `xml:"UserName,omitempty"`
	GroupName      string         `xml:"GroupName,omitempty"`
	RoleName       string         `xml:"RoleName,omitempty"`
	PolicyName     string         `xml:"PolicyName"`
	PolicyDocument PolicyDocument `xml:"PolicyDocument"`
}

func getInlinePolicy(r *Request, o inlineOwner) (any, error) {
	p := r.Params
	owner := o.read(p)
	name := p.String("PolicyName", EntityNameRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	ip, ownerName, err := r.Node.GetIAMInlinePolicy(r.Caller, owner, name)
	if err != nil {
		return nil, err
	}
	out := inlinePolicyResult{PolicyName: ip.PolicyName, PolicyDocument: PolicyDocument(ip.Document)}
	switch o.typ {
	case fsm.EntityUser:
		out.UserName = ownerName
	case fsm.EntityRole:
		out.RoleName = ownerName
	default:
		out.GroupName = ownerName
	}
	return out, nil
}

func deleteInlinePolicy(r *Request, o inlineOwner) (any, error) {
	p := r.Params
	owner := o.read(p)
	name := p.String("PolicyName", EntityNameRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteIAMInlinePolicy(r.Ctx, r.Caller, owner, name)
}

type policyNamesResult struct {
	PolicyNames List[string] `xml:"PolicyNames"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

func listInlinePolicies(r *Request, o inlineOwner) (any, error) {
	p := r.Params
	owner := o.read(p)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListIAMInlinePolicies(r.Caller, owner, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return policyNamesResult{PolicyNames: List[string](page.Items), IsTruncated: page.IsTruncated, Marker: page.Marker}, nil
}

// PolicyXML is the Policy shape (managed policies).
type PolicyXML struct {
	PolicyName                    string    `xml:"PolicyName"`
	PolicyID                      string    `xml:"PolicyId"`
	Arn                           string    `xml:"Arn"`
	Path                          string    `xml:"Path"`
	DefaultVersionID              string    `xml:"DefaultVersionId"`
	AttachmentCount               int       `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int       `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool      `xml:"IsAttachable"`
	Description                   string    `xml:"Description,omitempty"`
	CreateDate                    time.Time `xml:"CreateDate"`
	UpdateDate                    time.Time `xml:"UpdateDate"`
	Tags                          List[Tag] `xml:"Tags,omitempty"`
}

// PolicyOf renders a managed policy; full adds Description and Tags
// (GetPolicy), which CreatePolicy and ListPolicies leave out.
func PolicyOf(mp *server.ManagedPolicy, full bool) PolicyXML {
	x := PolicyXML{PolicyName: mp.PolicyName, PolicyID: mp.PolicyID, Arn: mp.Arn, Path: mp.Path,
		DefaultVersionID: mp.DefaultVersionID, AttachmentCount: mp.AttachmentCount, IsAttachable: true,
		CreateDate: mp.CreateDate.UTC(), UpdateDate: mp.UpdateDate.UTC()}
	if full {
		x.Description = mp.Description
		x.Tags = TagsOf(mp.Tags)
	}
	return x
}

type policyResult struct {
	Policy PolicyXML `xml:"Policy"`
}

func createPolicy(r *Request) (any, error) {
	p := r.Params
	req := server.CreatePolicyRequest{
		PolicyName:  p.String("PolicyName", EntityNameRule.Req()),
		Path:        p.String("Path", PolicyPathRule),
		Document:    p.String("PolicyDocument", PolicyDocumentRule.Req()),
		Description: p.String("Description", DescriptionRule),
		Tags:        p.Tags("Tags", false),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	mp, err := r.Node.CreatePolicy(r.Ctx, r.Caller, req)
	if err != nil {
		return nil, err
	}
	out := PolicyOf(mp, false)
	out.Tags = TagsOf(mp.Tags)
	return policyResult{Policy: out}, nil
}

func policyArnParam(p *Params) string { return p.String("PolicyArn", PolicyArnRule.Req()) }

func getPolicy(r *Request) (any, error) {
	arn := policyArnParam(r.Params)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	mp, err := r.Node.GetPolicy(r.Caller, arn)
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: PolicyOf(mp, true)}, nil
}

func deletePolicy(r *Request) (any, error) {
	arn := policyArnParam(r.Params)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeletePolicy(r.Ctx, r.Caller, arn)
}

type listPoliciesResult struct {
	Policies    List[PolicyXML] `xml:"Policies"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

func listPolicies(r *Request) (any, error) {
	p := r.Params
	req := server.ListPoliciesRequest{
		Scope:        p.String("Scope", Rule{Enum: []string{"All", "AWS", "Local"}}),
		OnlyAttached: p.Bool("OnlyAttached", false),
		PathPrefix:   p.String("PathPrefix", PolicyPathRule),
		UsageFilter:  p.String("PolicyUsageFilter", Rule{Enum: []string{"PermissionsPolicy", "PermissionsBoundary"}}),
	}
	req.Marker, req.MaxItems = p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListPolicies(r.Caller, req)
	if err != nil {
		return nil, err
	}
	out := listPoliciesResult{Policies: make(List[PolicyXML], len(page.Items)), IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, mp := range page.Items {
		out.Policies[i] = PolicyOf(mp, false)
	}
	return out, nil
}

// PolicyVersionXML is the PolicyVersion shape; Document only where the
// action returns it.
type PolicyVersionXML struct {
	Document         PolicyDocument `xml:"Document,omitempty"`
	VersionID        string         `xml:"VersionId"`
	IsDefaultVersion bool           `xml:"IsDefaultVersion"`
	CreateDate       time.Time      `xml:"CreateDate"`
}

// PolicyVersionOf renders a version, with its document when withDoc.
func PolicyVersionOf(v *server.PolicyVersion, withDoc bool) PolicyVersionXML {
	x := PolicyVersionXML{VersionID: v.VersionID, IsDefaultVersion: v.IsDefaultVersion, CreateDate: v.CreateDate.UTC()}
	if withDoc {
		x.Document = PolicyDocument(v.Document)
	}
	return x
}

type policyVersionResult struct {
	PolicyVersion PolicyVersionXML `xml:"PolicyVersion"`
}

func createPolicyVersion(r *Request) (any, error) {
	p := r.Params
	arn := policyArnParam(p)
	doc := p.String("PolicyDocument", PolicyDocumentRule.Req())
	setDefault := p.Bool("SetAsDefault", false)
	if err := p.Err(); err != nil {
		return nil, err
	}
	v, err := r.Node.CreatePolicyVersion(r.Ctx, r.Caller, arn, doc, setDefault)
	if err != nil {
		return nil, err
	}
	return policyVersionResult{PolicyVersion: PolicyVersionOf(v, false)}, nil
}

// versionParams reads PolicyArn and VersionId.
func versionParams(p *Params) (arn, version string, err error) {
	arn = policyArnParam(p)
	version = p.String("VersionId", VersionIDRule.Req())
	return arn, version, p.Err()
}

func getPolicyVersion(r *Request) (any, error) {
	arn, version, err := versionParams(r.Params)
	if err != nil {
		return nil, err
	}
	v, err := r.Node.GetPolicyVersion(r.Caller, arn, version)
	if err != nil {
		return nil, err
	}
	return policyVersionResult{PolicyVersion: PolicyVersionOf(v, true)}, nil
}

type listPolicyVersionsResult struct {
	Versions    List[PolicyVersionXML] `xml:"Versions"`
	IsTruncated bool                   `xml:"IsTruncated"`
	Marker      string                 `xml:"Marker,omitempty"`
}

func listPolicyVersions(r *Request) (any, error) {
	p := r.Params
	arn := policyArnParam(p)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListPolicyVersions(r.Caller, arn, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listPolicyVersionsResult{Versions: make(List[PolicyVersionXML], len(page.Items)), IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, v := range page.Items {
		out.Versions[i] = PolicyVersionOf(v, false)
	}
	return out, nil
}

func deletePolicyVersion(r *Request) (any, error) {
	arn, version, err := versionParams(r.Params)
	if err != nil {
		return nil, err
	}
	return nil, r.Node.DeletePolicyVersion(r.Ctx, r.Caller, arn, version)
}

func setDefaultPolicyVersion(r *Request) (any, error) {
	arn, version, err := versionParams(r.Params)
	if err != nil {
		return nil, err
	}
	return nil, r.Node.SetDefaultPolicyVersion(r.Ctx, r.Caller, arn, version)
}

func tagPolicy(r *Request) (any, error) {
	p := r.Params
	arn := policyArnParam(p)
	tags := p.Tags("Tags", true)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.TagPolicy(r.Ctx, r.Caller, arn, tags)
}

func untagPolicy(r *Request) (any, error) {
	p := r.Params
	arn := policyArnParam(p)
	keys := p.TagKeys("TagKeys")
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.UntagPolicy(r.Ctx, r.Caller, arn, keys)
}

type listPolicyTagsResult struct {
	Tags        List[Tag] `xml:"Tags"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

func listPolicyTags(r *Request) (any, error) {
	p := r.Params
	arn := policyArnParam(p)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListPolicyTags(r.Caller, arn, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listPolicyTagsResult{Tags: TagsOf(page.Items), IsTruncated: page.IsTruncated, Marker: page.Marker}, nil
}
