package fsm

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

const (
	CmdCreatePolicy            CommandType = 240
	CmdDeletePolicy            CommandType = 241
	CmdCreatePolicyVersion     CommandType = 242
	CmdSetDefaultPolicyVersion CommandType = 243
	CmdDeletePolicyVersion     CommandType = 244
	CmdAttachPolicy            CommandType = 245
	CmdDetachPolicy            CommandType = 246
	CmdTagPolicy               CommandType = 247
	CmdUntagPolicy             CommandType = 248
)

// ManagedPolicy is a customer managed policy. Its documents are its
// versions; DefaultVersionID names the one in force. NextVersion makes
// version IDs never reused after deletes (v1, v2, ...), as in AWS.
type ManagedPolicy struct {
	AccountID        string
	PolicyID         string // ANPA + 17
	PolicyName       string
	Path             string
	Arn              string
	Description      string
	CreateDate       time.Time
	UpdateDate       time.Time
	DefaultVersionID string
	NextVersion      int
	Tags             []Tag
}

// PolicyVersion is one immutable document of a managed policy.
type PolicyVersion struct {
	ID         string // PolicyID + "/" + VersionID
	PolicyID   string
	VersionID  string
	Number     int
	Document   string
	CreateDate time.Time
}

// PolicyAttachment attaches a managed policy to a user or group. It names
// the policy by ARN so that AWS managed policies, which have no row, can be
// attached too.
type PolicyAttachment struct {
	ID         string // EntityID + "|" + PolicyArn
	AccountID  string
	EntityType string
	EntityID   string
	PolicyArn  string
}

const (
	tableManagedPolicies = "iam_managed_policies"
	tablePolicyVersions  = "iam_policy_versions"
	tableAttachments     = "iam_policy_attachments"
)

func init() {
	registerTable[ManagedPolicy](&memdb.TableSchema{
		Name: tableManagedPolicies,
		Indexes: map[string]*memdb.IndexSchema{
			"id":   idIndex("PolicyID"),
			"arn":  uniqueIndex("arn", "Arn", false),
			"name": accountNameIndex("PolicyName"),
		},
	})
	registerTable[PolicyVersion](&memdb.TableSchema{
		Name: tablePolicyVersions,
		Indexes: map[string]*memdb.IndexSchema{
			"id":     idIndex("ID"),
			"policy": plainIndex("policy", "PolicyID"),
		},
	})
	registerTable[PolicyAttachment](&memdb.TableSchema{
		Name: tableAttachments,
		Indexes: map[string]*memdb.IndexSchema{
			"id":     idIndex("ID"),
			"entity": plainIndex("entity", "EntityID"),
			"policy": plainIndex("policy", "PolicyArn"),
		},
	})
	register(CmdCreatePolicy, "create-policy", applyCreatePolicy)
	register(CmdDeletePolicy, "delete-policy", applyDeletePolicy)
	register(CmdCreatePolicyVersion, "create-policy-version", applyCreatePolicyVersion)
	register(CmdSetDefaultPolicyVersion, "set-default-policy-version", applySetDefaultPolicyVersion)
	register(CmdDeletePolicyVersion, "delete-policy-version", applyDeletePolicyVersion)
	register(CmdAttachPolicy, "attach-policy", applyAttachPolicy)
	register(CmdDetachPolicy, "detach-policy", applyDetachPolicy)
	register(CmdTagPolicy, "tag-policy", applyTagPolicy)
	register(CmdUntagPolicy, "untag-policy", applyUntagPolicy)
}

// NoSuchPolicy is the error for a managed policy that is not there.
func NoSuchPolicy(arn string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
}

// NoSuchPolicyVersion is the error for a missing version of a policy.
func NoSuchPolicyVersion(arn, version string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", arn, version)
}

// CreatePolicy adds a managed policy with its first version, v1.
type CreatePolicy struct {
	Policy   ManagedPolicy
	Document string
}

func applyCreatePolicy(tx *txn, env Env, cmd *CreatePolicy) (any, error) {
	p := cmd.Policy
	if first[ManagedPolicy](tx, tableManagedPolicies, "name", p.AccountID, p.PolicyName) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists",
			"A policy called %s already exists. Duplicate names are not allowed.", p.PolicyName)
	}
	if accountCount(tx, tableManagedPolicies, p.AccountID) >= MaxPoliciesPerAccount {
		return nil, limitExceeded("Cannot exceed quota for PoliciesPerAccount: %d", MaxPoliciesPerAccount)
	}
	p.DefaultVersionID, p.NextVersion = "v1", 2
	v := &PolicyVersion{ID: p.PolicyID + "/v1", PolicyID: p.PolicyID, VersionID: "v1", Number: 1,
		Document: cmd.Document, CreateDate: p.CreateDate}
	if err := insertCounted(tx, tableManagedPolicies, &p); err != nil {
		return nil, err
	}
	if err := insert(tx, tablePolicyVersions, v); err != nil {
		return nil, err
	}
	return &p, nil
}

// DeletePolicy removes a policy that is attached nowhere and has no
// version besides its default one (which goes with it).
type DeletePolicy struct {
	AccountID string
	PolicyID  string
	Arn       string
}

func applyDeletePolicy(tx *txn, env Env, cmd *DeletePolicy) (any, error) {
	p, err := policyByID(tx, cmd.AccountID, cmd.PolicyID, cmd.Arn)
	if err != nil {
		return nil, err
	}
	if exists(tx, tableAttachments, "policy", p.Arn) {
		return nil, deleteConflict("Cannot delete a policy attached to entities.")
	}
	versions := all[PolicyVersion](tx, tablePolicyVersions, "policy", p.PolicyID)
	if len(versions) > 1 {
		return nil, deleteConflict("This policy has more than one version. Before you delete a policy, " +
			"you must delete the policy's versions. The default version is deleted with the policy.")
	}
	for _, v := range versions {
		if err := tx.Delete(tablePolicyVersions, v); err != nil {
			return nil, err
		}
	}
	return nil, deleteCounted(tx, tableManagedPolicies, p)
}

// CreatePolicyVersion adds a version (at most MaxPolicyVersions) and
// optionally makes it the default.
type CreatePolicyVersion struct {
	AccountID    string
	PolicyID     string
	Arn          string
	Document     string
	SetAsDefault bool
	Time         time.Time
}

func applyCreatePolicyVersion(tx *txn, env Env, cmd *CreatePolicyVersion) (any, error) {
	p, err := policyByID(tx, cmd.AccountID, cmd.PolicyID, cmd.Arn)
	if err != nil {
		return nil, err
	}
	if count(tx, tablePolicyVersions, "policy", p.PolicyID) >= MaxPolicyVersions {
		return nil, limitExceeded("A managed policy can have up to %d versions. Before you create a new version, "+
			"you must delete an existing version.", MaxPolicyVersions)
	}
	c := *p
	vid := fmt.Sprintf("v%d", c.NextVersion)
	v := &PolicyVersion{ID: c.PolicyID + "/" + vid, PolicyID: c.PolicyID, VersionID: vid, Number: c.NextVersion,
		Document: cmd.Document, CreateDate: cmd.Time}
	c.NextVersion++
	if cmd.SetAsDefault {
		c.DefaultVersionID, c.UpdateDate = vid, cmd.Time
	}
	if err := insert(tx, tableManagedPolicies, &c); err != nil {
		return nil, err
	}
	if err := insert(tx, tablePolicyVersions, v); err != nil {
		return nil, err
	}
	return v, nil
}

// SetDefaultPolicyVersion makes an existing version the one in force.
type SetDefaultPolicyVersion struct {
	AccountID string
	PolicyID  string
	Arn       string
	VersionID string
	Time      time.Time
}

func applySetDefaultPolicyVersion(tx *txn, env Env, cmd *SetDefaultPolicyVersion) (any, error) {
	p, err := policyByID(tx, cmd.AccountID, cmd.PolicyID, cmd.Arn)
	if err != nil {
		return nil, err
	}
	if _, err := versionOf(tx, p, cmd.Arn, cmd.VersionID); err != nil {
		return nil, err
	}
	c := *p
	c.DefaultVersionID, c.UpdateDate = cmd.VersionID, cmd.Time
	return nil, insert(tx, tableManagedPolicies, &c)
}

// DeletePolicyVersion removes a version other than the default.
type DeletePolicyVersion SetDefaultPolicyVersion

func applyDeletePolicyVersion(tx *txn, env Env, cmd *DeletePolicyVersion) (any, error) {
	p, err := policyByID(tx, cmd.AccountID, cmd.PolicyID, cmd.Arn)
	if err != nil {
		return nil, err
	}
	v, err := versionOf(tx, p, cmd.Arn, cmd.VersionID)
	if err != nil {
		return nil, err
	}
	if v.VersionID == p.DefaultVersionID {
		return nil, deleteConflict("Cannot delete the default version of a policy.")
	}
	return nil, tx.Delete(tablePolicyVersions, v)
}

// AttachPolicy attaches a managed policy to a user or group, at most
// MaxAttachedPolicies per entity; attaching twice succeeds. AWSManaged
// policies are built into the server and have no row to check.
type AttachPolicy struct {
	AccountID  string
	EntityType string
	EntityID   string
	EntityName string
	PolicyArn  string
	AWSManaged bool
}

func applyAttachPolicy(tx *txn, env Env, cmd *AttachPolicy) (any, error) {
	if err := entityExists(tx, cmd.AccountID, cmd.EntityType, cmd.EntityID, cmd.EntityName); err != nil {
		return nil, err
	}
	if !cmd.AWSManaged {
		p := first[ManagedPolicy](tx, tableManagedPolicies, "arn", cmd.PolicyArn)
		if p == nil || p.AccountID != cmd.AccountID {
			return nil, NoSuchPolicy(cmd.PolicyArn)
		}
	}
	id := cmd.EntityID + "|" + cmd.PolicyArn
	if first[PolicyAttachment](tx, tableAttachments, "id", id) != nil {
		return nil, nil
	}
	if count(tx, tableAttachments, "entity", cmd.EntityID) >= MaxAttachedPolicies {
		return nil, limitExceeded("Cannot exceed quota for PoliciesPer%s: %d", quotaEntity(cmd.EntityType), MaxAttachedPolicies)
	}
	return nil, insert(tx, tableAttachments, &PolicyAttachment{ID: id, AccountID: cmd.AccountID,
		EntityType: cmd.EntityType, EntityID: cmd.EntityID, PolicyArn: cmd.PolicyArn})
}

func quotaEntity(typ string) string {
	if typ == "" {
		return ""
	}
	return strings.ToUpper(typ[:1]) + typ[1:]
}

// DetachPolicy removes an attachment; one that is not there is NoSuchEntity.
type DetachPolicy AttachPolicy

func applyDetachPolicy(tx *txn, env Env, cmd *DetachPolicy) (any, error) {
	if err := entityExists(tx, cmd.AccountID, cmd.EntityType, cmd.EntityID, cmd.EntityName); err != nil {
		return nil, err
	}
	a := first[PolicyAttachment](tx, tableAttachments, "id", cmd.EntityID+"|"+cmd.PolicyArn)
	if a == nil {
		return nil, iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "Policy %s was not found.", cmd.PolicyArn)
	}
	return nil, tx.Delete(tableAttachments, a)
}

// TagPolicy merges tags into a policy's, as TagUser does for users.
type TagPolicy struct {
	AccountID string
	PolicyID  string
	Arn       string
	Tags      []Tag
}

func applyTagPolicy(tx *txn, env Env, cmd *TagPolicy) (any, error) {
	return updatePolicy(tx, cmd.AccountID, cmd.PolicyID, cmd.Arn, func(p *ManagedPolicy) error {
		tags, err := mergeTags(p.Tags, cmd.Tags)
		p.Tags = tags
		return err
	})
}

// UntagPolicy removes tags by key, ignoring case.
type UntagPolicy struct {
	AccountID string
	PolicyID  string
	Arn       string
	Keys      []string
}

func applyUntagPolicy(tx *txn, env Env, cmd *UntagPolicy) (any, error) {
	return updatePolicy(tx, cmd.AccountID, cmd.PolicyID, cmd.Arn, func(p *ManagedPolicy) error {
		p.Tags = removeTags(p.Tags, cmd.Keys)
		return nil
	})
}

// updatePolicy applies change to a copy of the policy and stores it.
func updatePolicy(tx *txn, acct, id, arn string, change func(*ManagedPolicy) error) (any, error) {
	p, err := policyByID(tx, acct, id, arn)
	if err != nil {
		return nil, err
	}
	c := *p
	if err := change(&c); err != nil {
		return nil, err
	}
	return nil, insert(tx, tableManagedPolicies, &c)
}

// policyByID is the account's policy with that ID; NoSuchPolicy (naming
// arn) when there is none.
func policyByID(tx *txn, acct, id, arn string) (*ManagedPolicy, error) {
	p := first[ManagedPolicy](tx, tableManagedPolicies, "id", id)
	if p == nil || p.AccountID != acct {
		return nil, NoSuchPolicy(arn)
	}
	return p, nil
}

// versionOf is version vid of policy p; NoSuchPolicyVersion when absent.
func versionOf(tx *txn, p *ManagedPolicy, arn, vid string) (*PolicyVersion, error) {
	v := first[PolicyVersion](tx, tablePolicyVersions, "id", p.PolicyID+"/"+vid)
	if v == nil {
		return nil, NoSuchPolicyVersion(arn, vid)
	}
	return v, nil
}

// ManagedPolicyByArn returns the customer managed policy with that ARN, or nil.
func (s *State) ManagedPolicyByArn(arn string) *ManagedPolicy {
	return first[ManagedPolicy](s.tx, tableManagedPolicies, "arn", arn)
}

// ManagedPolicies returns the account's managed policies sorted by name,
// ignoring case.
func (s *State) ManagedPolicies(acct string) []*ManagedPolicy {
	return all[ManagedPolicy](s.tx, tableManagedPolicies, "name_prefix", acct, "")
}

// PolicyVersion returns one version of a policy, or nil.
func (s *State) PolicyVersion(policyID, versionID string) *PolicyVersion {
	return first[PolicyVersion](s.tx, tablePolicyVersions, "id", policyID+"/"+versionID)
}

// PolicyVersions returns a policy's versions, newest first.
func (s *State) PolicyVersions(policyID string) []*PolicyVersion {
	vs := all[PolicyVersion](s.tx, tablePolicyVersions, "policy", policyID)
	sort.Slice(vs, func(i, j int) bool { return vs[i].Number > vs[j].Number })
	return vs
}

// AttachedPolicyArns returns the ARNs of the policies attached to an entity.
func (s *State) AttachedPolicyArns(entityID string) []string {
	var out []string
	for _, a := range all[PolicyAttachment](s.tx, tableAttachments, "entity", entityID) {
		out = append(out, a.PolicyArn)
	}
	return out
}

// PolicyAttachments returns where a policy (by ARN) is attached.
func (s *State) PolicyAttachments(arn string) []*PolicyAttachment {
	return all[PolicyAttachment](s.tx, tableAttachments, "policy", arn)
}

// PolicyAttachmentCount returns how many entities a policy is attached to.
func (s *State) PolicyAttachmentCount(arn string) int {
	return count(s.tx, tableAttachments, "policy", arn)
}
