package server

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/policy"
)

// Managed policies and their versions (spec §4.4). The account's own
// policies live in the FSM; AWS managed ones are built in
// (iam_aws_policies.go) and read-only. Both are answered as ManagedPolicy.

// ManagedPolicy is a managed policy as the IAM API shows it.
type ManagedPolicy struct {
	PolicyName       string
	PolicyID         string
	Arn              string
	Path             string
	Description      string
	DefaultVersionID string
	AttachmentCount  int
	CreateDate       time.Time
	UpdateDate       time.Time
	Tags             []fsm.Tag
	AWSManaged       bool
	policyID         string // the fsm row's PolicyID ("" when built in)
}

// PolicyVersion is one document of a managed policy.
type PolicyVersion struct {
	VersionID        string
	Document         string
	IsDefaultVersion bool
	CreateDate       time.Time
}

func customerPolicy(st *fsm.State, p *fsm.ManagedPolicy) *ManagedPolicy {
	return &ManagedPolicy{PolicyName: p.PolicyName, PolicyID: p.PolicyID, Arn: p.Arn, Path: p.Path,
		Description: p.Description, DefaultVersionID: p.DefaultVersionID,
		AttachmentCount: st.PolicyAttachmentCount(p.Arn), CreateDate: p.CreateDate, UpdateDate: p.UpdateDate,
		Tags: p.Tags, policyID: p.PolicyID}
}

func builtinPolicy(st *fsm.State, acct string, b *AWSManagedPolicy) *ManagedPolicy {
	count := 0
	for _, a := range st.PolicyAttachments(b.Arn) {
		if a.AccountID == acct {
			count++
		}
	}
	return &ManagedPolicy{PolicyName: b.Name, PolicyID: b.PolicyID, Arn: b.Arn, Path: b.Path,
		Description: b.Description, DefaultVersionID: "v1", AttachmentCount: count,
		CreateDate: b.CreateDate, UpdateDate: b.CreateDate, AWSManaged: true}
}

// policyArn is the ARN a customer managed policy gets.
func policyArn(acct, path, name string) string { return iamArn(acct, "policy", path, name) }

// checkPolicyArn refuses what cannot be an IAM policy ARN (InvalidInput).
func checkPolicyArn(arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || parts[3] != "" ||
		!strings.HasPrefix(parts[5], "policy/") || len(parts[5]) == len("policy/") {
		return invalidInput("ARN %s is not valid.", arn)
	}
	return nil
}

// findPolicy returns the managed policy with that ARN visible to the
// account (its own or built in), or nil.
func findPolicy(st *fsm.State, acct, arn string) *ManagedPolicy {
	if b := awsManagedPolicyByArn(arn); b != nil {
		return builtinPolicy(st, acct, b)
	}
	p := st.ManagedPolicyByArn(arn)
	if p == nil || p.AccountID != acct {
		return nil
	}
	return customerPolicy(st, p)
}

// policyFor authorizes action on a policy ARN, then finds the policy.
func (n *Node) policyFor(c *AWSCaller, action, arn string) (*fsm.State, *ManagedPolicy, error) {
	if err := checkPolicyArn(arn); err != nil {
		return nil, nil, err
	}
	if err := n.AuthorizeIAM(c, action, arn); err != nil {
		return nil, nil, err
	}
	st := n.fsm.State()
	p := findPolicy(st, c.AccountID, arn)
	if p == nil {
		return nil, nil, fsm.NoSuchPolicy(arn)
	}
	return st, p, nil
}

// writablePolicy is policyFor for changes: built-in policies are read-only.
func (n *Node) writablePolicy(c *AWSCaller, action, arn string) (*ManagedPolicy, error) {
	_, p, err := n.policyFor(c, action, arn)
	if err != nil {
		return nil, err
	}
	if p.AWSManaged {
		return nil, iamerr.WithCode(iamerr.Invalid, "UnmodifiableEntity", "Cannot modify AWS managed policy %s.", arn)
	}
	return p, nil
}

// checkManagedDocument validates a managed policy version: grammar, then
// the 6144-character quota.
func checkManagedDocument(doc string) error {
	if _, err := ParseIdentityPolicy(doc); err != nil {
		return err
	}
	return policyError(policy.CheckSize(policy.ManagedQuota, "", doc))
}

// checkTags refuses duplicate keys, which AWS compares ignoring case.
func checkTags(tags []fsm.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// CreatePolicyRequest is CreatePolicy's input; Path "" is "/".
type CreatePolicyRequest struct {
	PolicyName  string
	Path        string
	Document    string
	Description string
	Tags        []fsm.Tag
}

// CreatePolicy creates a customer managed policy with version v1.
func (n *Node) CreatePolicy(ctx context.Context, c *AWSCaller, req CreatePolicyRequest) (*ManagedPolicy, error) {
	if req.Path == "" {
		req.Path = "/"
	}
	arn := policyArn(c.AccountID, req.Path, req.PolicyName)
	if err := n.AuthorizeIAM(c, "iam:CreatePolicy", arn); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(req.Document); err != nil {
		return nil, err
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	now := n.iamNow()
	p, err := applyAs[*fsm.ManagedPolicy](ctx, n, fsm.CmdCreatePolicy, &fsm.CreatePolicy{Document: req.Document,
		Policy: fsm.ManagedPolicy{AccountID: c.AccountID, PolicyID: newIAMID("ANPA"), PolicyName: req.PolicyName,
			Path: req.Path, Arn: arn, Description: req.Description, CreateDate: now, UpdateDate: now, Tags: req.Tags}})
	if err != nil {
		return nil, err
	}
	return customerPolicy(n.fsm.State(), p), nil
}

// GetPolicy returns a managed policy (without its document).
func (n *Node) GetPolicy(c *AWSCaller, arn string) (*ManagedPolicy, error) {
	_, p, err := n.policyFor(c, "iam:GetPolicy", arn)
	return p, err
}

// DeletePolicy deletes a customer managed policy attached nowhere and
// without versions besides its default one.
func (n *Node) DeletePolicy(ctx context.Context, c *AWSCaller, arn string) error {
	p, err := n.writablePolicy(c, "iam:DeletePolicy", arn)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeletePolicy, &fsm.DeletePolicy{AccountID: c.AccountID, PolicyID: p.policyID, Arn: arn})
	return err
}

// ListPoliciesRequest is ListPolicies' input (spec §4.4).
type ListPoliciesRequest struct {
	Scope        string // All (default) | AWS | Local
	OnlyAttached bool
	PathPrefix   string
	// UsageFilter is PermissionsPolicy or PermissionsBoundary; iamd has no
	// permissions boundaries, so the latter lists nothing.
	UsageFilter string
	Marker      string
	MaxItems    int
}

// ListPolicies lists managed policies, sorted by name ignoring case.
func (n *Node) ListPolicies(c *AWSCaller, req ListPoliciesRequest) (Page[*ManagedPolicy], error) {
	if err := n.AuthorizeIAM(c, "iam:ListPolicies", "*"); err != nil {
		return Page[*ManagedPolicy]{}, err
	}
	st := n.fsm.State()
	var out []*ManagedPolicy
	if req.UsageFilter != "PermissionsBoundary" {
		if req.Scope != "Local" {
			for _, b := range awsManagedList {
				out = append(out, builtinPolicy(st, c.AccountID, b))
			}
		}
		if req.Scope != "AWS" {
			for _, p := range st.ManagedPolicies(c.AccountID) {
				out = append(out, customerPolicy(st, p))
			}
		}
	}
	out = filterPath(out, func(p *ManagedPolicy) string { return p.Path }, req.PathPrefix)
	if req.OnlyAttached {
		kept := out[:0:0]
		for _, p := range out {
			if p.AttachmentCount > 0 {
				kept = append(kept, p)
			}
		}
		out = kept
	}
	sort.Slice(out, func(i, j int) bool { return policySortKey(out[i]) < policySortKey(out[j]) })
	return paginate(out, policySortKey, req.Marker, req.MaxItems)
}

// policySortKey orders policies by name ignoring case; the ARN keeps keys
// distinct when an account's policy shares a built-in one's name.
func policySortKey(p *ManagedPolicy) string { return strings.ToLower(p.PolicyName) + "\x00" + p.Arn }

// CreatePolicyVersion adds a version (at most five), optionally as default.
func (n *Node) CreatePolicyVersion(ctx context.Context, c *AWSCaller, arn, doc string, setAsDefault bool) (*PolicyVersion, error) {
	p, err := n.writablePolicy(c, "iam:CreatePolicyVersion", arn)
	if err != nil {
		return nil, err
	}
	if err := checkManagedDocument(doc); err != nil {
		return nil, err
	}
	v, err := applyAs[*fsm.PolicyVersion](ctx, n, fsm.CmdCreatePolicyVersion, &fsm.CreatePolicyVersion{
		AccountID: c.AccountID, PolicyID: p.policyID, Arn: arn, Document: doc, SetAsDefault: setAsDefault, Time: n.iamNow()})
	if err != nil {
		return nil, err
	}
	return &PolicyVersion{VersionID: v.VersionID, Document: v.Document, IsDefaultVersion: setAsDefault, CreateDate: v.CreateDate}, nil
}

// GetPolicyVersion returns one version with its document.
func (n *Node) GetPolicyVersion(c *AWSCaller, arn, versionID string) (*PolicyVersion, error) {
	st, p, err := n.policyFor(c, "iam:GetPolicyVersion", arn)
	if err != nil {
		return nil, err
	}
	for _, v := range policyVersions(st, p) {
		if v.VersionID == versionID {
			return v, nil
		}
	}
	return nil, fsm.NoSuchPolicyVersion(arn, versionID)
}

// ListPolicyVersions lists a policy's versions, newest first.
func (n *Node) ListPolicyVersions(c *AWSCaller, arn, marker string, maxItems int) (Page[*PolicyVersion], error) {
	st, p, err := n.policyFor(c, "iam:ListPolicyVersions", arn)
	if err != nil {
		return Page[*PolicyVersion]{}, err
	}
	// Newest first is decreasing version number; the key is zero-padded
	// and inverted so that it increases along the list as paginate wants.
	return paginate(policyVersions(st, p), versionSortKey, marker, maxItems)
}

func versionSortKey(v *PolicyVersion) string {
	num, _ := strconv.Atoi(strings.TrimPrefix(v.VersionID, "v"))
	return fmt.Sprintf("%010d", 1<<30-num)
}

// policyVersions returns a policy's versions, newest first.
func policyVersions(st *fsm.State, p *ManagedPolicy) []*PolicyVersion {
	if p.AWSManaged {
		b := awsManagedPolicyByArn(p.Arn)
		return []*PolicyVersion{{VersionID: "v1", Document: b.Document, IsDefaultVersion: true, CreateDate: b.CreateDate}}
	}
	var out []*PolicyVersion
	for _, v := range st.PolicyVersions(p.policyID) {
		out = append(out, &PolicyVersion{VersionID: v.VersionID, Document: v.Document,
			IsDefaultVersion: v.VersionID == p.DefaultVersionID, CreateDate: v.CreateDate})
	}
	return out
}

// SetDefaultPolicyVersion makes a version the one in force; evaluation
// uses it from the next request on.
func (n *Node) SetDefaultPolicyVersion(ctx context.Context, c *AWSCaller, arn, versionID string) error {
	p, err := n.writablePolicy(c, "iam:SetDefaultPolicyVersion", arn)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdSetDefaultPolicyVersion, &fsm.SetDefaultPolicyVersion{AccountID: c.AccountID,
		PolicyID: p.policyID, Arn: arn, VersionID: versionID, Time: n.iamNow()})
	return err
}

// DeletePolicyVersion deletes a version other than the default.
func (n *Node) DeletePolicyVersion(ctx context.Context, c *AWSCaller, arn, versionID string) error {
	p, err := n.writablePolicy(c, "iam:DeletePolicyVersion", arn)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdDeletePolicyVersion, &fsm.DeletePolicyVersion{AccountID: c.AccountID,
		PolicyID: p.policyID, Arn: arn, VersionID: versionID})
	return err
}

// TagPolicy merges tags into a customer managed policy's.
func (n *Node) TagPolicy(ctx context.Context, c *AWSCaller, arn string, tags []fsm.Tag) error {
	p, err := n.writablePolicy(c, "iam:TagPolicy", arn)
	if err != nil {
		return err
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdTagPolicy, &fsm.TagPolicy{AccountID: c.AccountID, PolicyID: p.policyID, Arn: arn, Tags: tags})
	return err
}

// UntagPolicy removes tags by key (ignoring case; absent keys are ignored).
func (n *Node) UntagPolicy(ctx context.Context, c *AWSCaller, arn string, keys []string) error {
	p, err := n.writablePolicy(c, "iam:UntagPolicy", arn)
	if err != nil {
		return err
	}
	_, err = n.apply(ctx, fsm.CmdUntagPolicy, &fsm.UntagPolicy{AccountID: c.AccountID, PolicyID: p.policyID, Arn: arn, Keys: keys})
	return err
}

// ListPolicyTags lists a managed policy's tags.
func (n *Node) ListPolicyTags(c *AWSCaller, arn, marker string, maxItems int) (Page[fsm.Tag], error) {
	_, p, err := n.policyFor(c, "iam:ListPolicyTags", arn)
	if err != nil {
		return Page[fsm.Tag]{}, err
	}
	tags := append([]fsm.Tag(nil), p.Tags...)
	sort.Slice(tags, func(i, j int) bool { return lowerTagKey(tags[i]) < lowerTagKey(tags[j]) })
	return paginate(tags, lowerTagKey, marker, maxItems)
}
