package server

import (
	"sort"
	"strings"

	"iamd/fsm"
	"iamd/server/policy"
)

// GetAccountSummary and GetAccountAuthorizationDetails (spec §4.7).

// SummaryEntry is one key of GetAccountSummary's SummaryMap.
type SummaryEntry struct {
	Key   string
	Value int
}

// GetAccountSummary counts the account's entities and lists its quotas.
// Entities iamd does not have yet (server certificates, instance profiles, providers) count zero.
func (n *Node) GetAccountSummary(c *AWSCaller) ([]SummaryEntry, error) {
	if err := n.AuthorizeIAM(c, "iam:GetAccountSummary", "*"); err != nil {
		return nil, err
	}
	st := n.fsm.State()
	versions := 0
	policies := st.ManagedPolicies(c.AccountID)
	for _, p := range policies {
		versions += len(st.PolicyVersions(p.PolicyID))
	}
	roles, devices, inUse, rootMFA := mfaSummary(st, c.AccountID) // sts_summary.go
	rootKeys := 0
	if len(st.OwnAccessKeys(c.AccountID, "")) > 0 {
		rootKeys = 1
	}
	return []SummaryEntry{
		{"Users", len(st.IAMUsers(c.AccountID))},
		{"UsersQuota", fsm.MaxUsersPerAccount},
		{"Groups", len(st.IAMGroups(c.AccountID))},
		{"GroupsQuota", fsm.MaxGroupsPerAccount},
		{"Roles", roles},
		{"RolesQuota", fsm.MaxRolesPerAccount},
		{"Policies", len(policies)},
		{"PoliciesQuota", fsm.MaxPoliciesPerAccount},
		{"PolicyVersionsInUse", versions},
		{"PolicyVersionsInUseQuota", 10000},
		{"VersionsPerPolicyQuota", fsm.MaxPolicyVersions},
		{"PolicySizeQuota", policy.ManagedQuota.Limit()},
		{"UserPolicySizeQuota", policy.UserInlineQuota.Limit()},
		{"GroupPolicySizeQuota", policy.GroupInlineQuota.Limit()},
		{"RolePolicySizeQuota", policy.RoleInlineQuota.Limit()},
		{"AssumeRolePolicySizeQuota", policy.TrustQuota.Limit()},
		{"GroupsPerUserQuota", fsm.MaxGroupsPerUser},
		{"AttachedPoliciesPerUserQuota", fsm.MaxAttachedPolicies},
		{"AttachedPoliciesPerGroupQuota", fsm.MaxAttachedPolicies},
		{"AttachedPoliciesPerRoleQuota", fsm.MaxAttachedPolicies},
		{"AccessKeysPerUserQuota", fsm.MaxKeysPerUser},
		{"SigningCertificatesPerUserQuota", 2},
		{"MFADevices", devices},
		{"MFADevicesInUse", inUse},
		{"AccountMFAEnabled", rootMFA},
		{"AccountAccessKeysPresent", rootKeys},
		{"AccountSigningCertificatesPresent", 0},
		{"ServerCertificates", 0},
		{"ServerCertificatesQuota", 20},
		{"InstanceProfiles", 0},
		{"InstanceProfilesQuota", 1000},
		{"Providers", 0},
		{"GlobalEndpointTokenVersion", 1},
	}, nil
}

// UserDetail is one UserDetailList member.
type UserDetail struct {
	User     *fsm.IAMUser
	Inline   []*fsm.InlinePolicy
	Groups   []string
	Attached []AttachedPolicy
}

// GroupDetail is one GroupDetailList member.
type GroupDetail struct {
	Group    *fsm.IAMGroup
	Inline   []*fsm.InlinePolicy
	Attached []AttachedPolicy
}

// RoleDetail is one RoleDetailList member.
type RoleDetail struct {
	Role     *fsm.IAMRole
	Inline   []*fsm.InlinePolicy
	Attached []AttachedPolicy
}

// PolicyDetail is one Policies member, with every version.
type PolicyDetail struct {
	Policy   *ManagedPolicy
	Versions []*PolicyVersion
}

// AuthorizationDetails is one page of GetAccountAuthorizationDetails: the
// page runs over users, then groups, roles and policies.
type AuthorizationDetails struct {
	Users       []*UserDetail
	Groups      []*GroupDetail
	Roles       []*RoleDetail
	Policies    []*PolicyDetail
	IsTruncated bool
	Marker      string
}

// authzItem is one entry of the combined, sorted list being paginated.
type authzItem struct {
	key   string
	build func() // adds the entry's detail to the page
}

// GetAccountAuthorizationDetails lists users, groups, roles and managed policies
// with their policies. filters holds Filter members (User, Role, Group,
// LocalManagedPolicy, AWSManagedPolicy); none means all. AWS managed
// policies are listed when attached to something in the account.
func (n *Node) GetAccountAuthorizationDetails(c *AWSCaller, filters []string, marker string, maxItems int) (*AuthorizationDetails, error) {
	if err := n.AuthorizeIAM(c, "iam:GetAccountAuthorizationDetails", "*"); err != nil {
		return nil, err
	}
	want := func(f string) bool {
		if len(filters) == 0 {
			return true
		}
		for _, x := range filters {
			if x == f {
				return true
			}
		}
		return false
	}
	st := n.fsm.State()
	out := &AuthorizationDetails{}
	var items []authzItem
	if want("User") {
		for _, u := range st.IAMUsers(c.AccountID) {
			items = append(items, authzItem{"1" + lowerUserName(u), func() {
				d := &UserDetail{User: u, Inline: st.InlinePolicies(u.UserID), Attached: attachedPolicies(st, c.AccountID, u.UserID)}
				for _, g := range userGroups(st, u) {
					d.Groups = append(d.Groups, g.GroupName)
				}
				out.Users = append(out.Users, d)
			}})
		}
	}
	if want("Group") {
		for _, g := range st.IAMGroups(c.AccountID) {
			items = append(items, authzItem{"2" + lowerGroupName(g), func() {
				out.Groups = append(out.Groups, &GroupDetail{Group: g, Inline: st.InlinePolicies(g.GroupID),
					Attached: attachedPolicies(st, c.AccountID, g.GroupID)})
			}})
		}
	}
	if want("Role") {
		for _, r := range st.IAMRoles(c.AccountID) {
			items = append(items, authzItem{"3" + strings.ToLower(r.RoleName), func() {
				out.Roles = append(out.Roles, &RoleDetail{Role: r, Inline: st.InlinePolicies(r.RoleID),
					Attached: attachedPolicies(st, c.AccountID, r.RoleID)})
			}})
		}
	}
	addPolicy := func(p *ManagedPolicy) {
		items = append(items, authzItem{"4" + policySortKey(p), func() {
			out.Policies = append(out.Policies, &PolicyDetail{Policy: p, Versions: policyVersions(st, p)})
		}})
	}
	if want("AWSManagedPolicy") {
		for _, b := range awsManagedList {
			if p := builtinPolicy(st, c.AccountID, b); p.AttachmentCount > 0 {
				addPolicy(p)
			}
		}
	}
	if want("LocalManagedPolicy") {
		for _, p := range st.ManagedPolicies(c.AccountID) {
			addPolicy(customerPolicy(st, p))
		}
	}
	sortItems(items)
	page, err := paginate(items, func(it authzItem) string { return it.key }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	for _, it := range page.Items {
		it.build()
	}
	out.IsTruncated, out.Marker = page.IsTruncated, page.Marker
	return out, nil
}

func sortItems(items []authzItem) {
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
}
