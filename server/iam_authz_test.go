package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"iamd/fsm"
	"iamd/iamerr"
)

// authzFixture is a dev node with helpers that write IAM rows straight
// through FSM commands, so that authorization is tested apart from the
// operations that normally write them.
type authzFixture struct {
	t    testing.TB
	n    *Node
	acct string
	ctx  context.Context
}

func newAuthzFixture(t testing.TB) *authzFixture {
	t.Helper()
	n, err := New(Options{Dev: &DevOptions{ListenAddress: "127.0.0.1:0", RootTokenID: "root"},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown() })
	return &authzFixture{t: t, n: n, acct: n.DevCredentials().AccountID, ctx: context.Background()}
}

func (f *authzFixture) user(name string) *fsm.IAMUser {
	f.t.Helper()
	u, err := applyAs[*fsm.IAMUser](f.ctx, f.n, fsm.CmdCreateUser, &fsm.CreateUser{User: fsm.IAMUser{
		AccountID: f.acct, UserID: newIAMID("AIDA"), UserName: name, Path: "/", CreateDate: f.n.iamNow()}})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *authzFixture) group(name string) *fsm.IAMGroup {
	f.t.Helper()
	g, err := applyAs[*fsm.IAMGroup](f.ctx, f.n, fsm.CmdCreateGroup, &fsm.CreateGroup{Group: fsm.IAMGroup{
		AccountID: f.acct, GroupID: newIAMID("AGPA"), GroupName: name, Path: "/", CreateDate: f.n.iamNow()}})
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

func (f *authzFixture) join(u *fsm.IAMUser, g *fsm.IAMGroup) {
	f.t.Helper()
	f.must(f.n.apply(f.ctx, fsm.CmdAddUserToGroup, &fsm.AddUserToGroup{AccountID: f.acct,
		GroupID: g.GroupID, GroupName: g.GroupName, UserID: u.UserID, UserName: u.UserName}))
}

func (f *authzFixture) inline(ownerType, ownerID, name, doc string) {
	f.t.Helper()
	f.must(f.n.apply(f.ctx, fsm.CmdPutInlinePolicy, &fsm.PutInlinePolicy{Limit: 1 << 20, Policy: fsm.InlinePolicy{
		AccountID: f.acct, OwnerType: ownerType, OwnerID: ownerID, PolicyName: name, Document: doc}}))
}

func (f *authzFixture) managed(name, doc string) *fsm.ManagedPolicy {
	f.t.Helper()
	id := newIAMID("ANPA")
	p, err := applyAs[*fsm.ManagedPolicy](f.ctx, f.n, fsm.CmdCreatePolicy, &fsm.CreatePolicy{Document: doc,
		Policy: fsm.ManagedPolicy{AccountID: f.acct, PolicyID: id, PolicyName: name, Path: "/",
			Arn: "arn:aws:iam::" + f.acct + ":policy/" + name, CreateDate: f.n.iamNow(), UpdateDate: f.n.iamNow()}})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *authzFixture) attach(entityType, entityID, arn string) {
	f.t.Helper()
	f.must(f.n.apply(f.ctx, fsm.CmdAttachPolicy, &fsm.AttachPolicy{AccountID: f.acct, EntityType: entityType,
		EntityID: entityID, PolicyArn: arn, AWSManaged: isAWSPolicyArn(arn)}))
}

func (f *authzFixture) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// caller returns the AWSCaller of a user signing with a long-term key.
func (f *authzFixture) caller(u *fsm.IAMUser) *AWSCaller {
	u = f.n.fsm.State().IAMUserByID(u.UserID)
	return &AWSCaller{AccountID: f.acct, Type: PrincipalUser, Arn: UserArn(u), UserID: u.UserID, User: u,
		SourceIP: "10.1.2.3", Time: time.Now(), Region: "us-east-1"}
}

func (f *authzFixture) userArn(name string) string { return "arn:aws:iam::" + f.acct + ":user/" + name }

func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func denyDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func wantDenied(t testing.TB, err error, reason string) {
	t.Helper()
	if err == nil || iamerr.As(err).Code != "AccessDenied" {
		t.Fatalf("want AccessDenied, got %v", err)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Fatalf("message %q does not contain %q", err.Error(), reason)
	}
}

func TestAuthorizeIAMRootAllowedEverything(t *testing.T) {
	f := newAuthzFixture(t)
	root := &AWSCaller{AccountID: f.acct, Type: PrincipalRoot, Arn: RootArn(f.acct), UserID: f.acct}
	if err := f.n.AuthorizeIAM(root, "iam:DeleteUser", f.userArn("x")); err != nil {
		t.Fatal(err)
	}
}

func TestAuthorizeIAMUserWithoutPolicyDenied(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	err := f.n.AuthorizeIAM(f.caller(alice), "iam:ListUsers", "arn:aws:iam::"+f.acct+":user/")
	wantDenied(t, err, "User: "+f.userArn("alice")+" is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::"+
		f.acct+":user/ because no identity-based policy allows the iam:ListUsers action")
}

func TestAuthorizeIAMInlineAllowOnItselfOnly(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	f.user("bob")
	f.inline(fsm.EntityUser, alice.UserID, "self", allowDoc("iam:GetUser", "arn:aws:iam::*:user/${aws:username}"))
	f.n.SetIAMSelfService(false)
	c := f.caller(alice)
	if err := f.n.AuthorizeIAM(c, "iam:GetUser", f.userArn("alice")); err != nil {
		t.Fatal(err)
	}
	if err := f.n.AuthorizeIAM(c, "IAM:getuser", f.userArn("alice")); err != nil {
		t.Fatal("actions must match case-insensitively:", err)
	}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:GetUser", f.userArn("bob")), "no identity-based policy")
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListUsers", "*"), "no identity-based policy")
}

func TestAuthorizeIAMGroupDenyBeatsUserAllow(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	g := f.group("no-delete")
	f.join(alice, g)
	f.inline(fsm.EntityUser, alice.UserID, "all", allowDoc("iam:*", "*"))
	f.inline(fsm.EntityGroup, g.GroupID, "deny", denyDoc("iam:DeleteUser", "*"))
	c := f.caller(alice)
	if err := f.n.AuthorizeIAM(c, "iam:CreateUser", f.userArn("x")); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:DeleteUser", f.userArn("x")), "with an explicit deny in an identity-based policy")

	// A disabled group contributes nothing, its Deny included.
	disabled := true
	f.must(f.n.apply(f.ctx, fsm.CmdUpdateGroup, &fsm.UpdateGroup{AccountID: f.acct, GroupID: g.GroupID, Disabled: &disabled}))
	if err := f.n.AuthorizeIAM(c, "iam:DeleteUser", f.userArn("x")); err != nil {
		t.Fatal("disabled group still denies:", err)
	}
}

func TestAuthorizeIAMGroupInheritedManagedPolicy(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	g := f.group("readers")
	f.join(alice, g)
	c := f.caller(alice)
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListGroups", "*"), "no identity-based policy")
	f.attach(fsm.EntityGroup, g.GroupID, "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	if err := f.n.AuthorizeIAM(c, "iam:ListGroups", "*"); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:CreateGroup", "*"), "no identity-based policy")
}

func TestAuthorizeIAMManagedDefaultVersionInForce(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	p := f.managed("lister", allowDoc("iam:ListUsers", "*"))
	f.attach(fsm.EntityUser, alice.UserID, p.Arn)
	c := f.caller(alice)
	if err := f.n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
		t.Fatal(err)
	}
	// v2 becomes the default: ListUsers is no longer allowed, ListGroups is.
	f.must(f.n.apply(f.ctx, fsm.CmdCreatePolicyVersion, &fsm.CreatePolicyVersion{AccountID: f.acct, PolicyID: p.PolicyID,
		Arn: p.Arn, Document: allowDoc("iam:ListGroups", "*"), SetAsDefault: true, Time: f.n.iamNow()}))
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListUsers", "*"), "no identity-based policy")
	if err := f.n.AuthorizeIAM(c, "iam:ListGroups", "*"); err != nil {
		t.Fatal(err)
	}
	// Back to v1.
	f.must(f.n.apply(f.ctx, fsm.CmdSetDefaultPolicyVersion, &fsm.SetDefaultPolicyVersion{AccountID: f.acct,
		PolicyID: p.PolicyID, Arn: p.Arn, VersionID: "v1", Time: f.n.iamNow()}))
	if err := f.n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
		t.Fatal(err)
	}
}

func TestAuthorizeIAMInlineReplacedTakesEffect(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	f.inline(fsm.EntityUser, alice.UserID, "p", allowDoc("iam:ListUsers", "*"))
	c := f.caller(alice)
	if err := f.n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
		t.Fatal(err)
	}
	f.inline(fsm.EntityUser, alice.UserID, "p", allowDoc("iam:ListGroups", "*"))
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListUsers", "*"), "no identity-based policy")
}

func TestAuthorizeIAMConditions(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	f.inline(fsm.EntityUser, alice.UserID, "net", `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
	 {"Effect":"Allow","Action":"iam:ListGroups","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
	 {"Effect":"Allow","Action":"iam:ListPolicies","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User","aws:username":"alice"}}},
	 {"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2000-01-01T00:00:00Z"}}},
	 {"Effect":"Deny","Action":"iam:ListPolicies","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`)
	c := f.caller(alice)
	if err := f.n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
		t.Fatal(err)
	}
	c.SourceIP = "192.168.1.1"
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListUsers", "*"), "no identity-based policy")
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListGroups", "*"), "no identity-based policy")
	c.SecureTransport = true
	if err := f.n.AuthorizeIAM(c, "iam:ListGroups", "*"); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListRoles", "*"), "no identity-based policy")
	// A long-term key carries no aws:MultiFactorAuthPresent, so the
	// BoolIfExists Deny applies; a session made with MFA lifts it.
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListPolicies", "*"), "explicit deny")
	c.MFA = &MFAContext{Present: true, AuthTime: time.Now()}
	if err := f.n.AuthorizeIAM(c, "iam:ListPolicies", "*"); err != nil {
		t.Fatal(err)
	}
	// A session made without MFA may not call IAM at all.
	c.MFA = &MFAContext{Present: false}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:ListUsers", "*"), "MFA")
}

func TestAuthorizeIAMSelfService(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	f.user("bob")
	c := f.caller(alice)
	for _, a := range []string{"iam:GetUser", "iam:ListAccessKeys", "iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"} {
		if err := f.n.AuthorizeIAM(c, a, f.userArn("alice")); err != nil {
			t.Fatalf("%s on itself: %v", a, err)
		}
		wantDenied(t, f.n.AuthorizeIAM(c, a, f.userArn("bob")), "no identity-based policy")
	}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:DeleteUser", f.userArn("alice")), "no identity-based policy")
	// An explicit Deny still wins over self-service.
	f.inline(fsm.EntityUser, alice.UserID, "no-keys", denyDoc("iam:CreateAccessKey", "*"))
	wantDenied(t, f.n.AuthorizeIAM(f.caller(alice), "iam:CreateAccessKey", f.userArn("alice")), "explicit deny")
	// And the switch turns it off.
	f.n.SetIAMSelfService(false)
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:GetUser", f.userArn("alice")), "no identity-based policy")
}

func TestAuthorizeIAMPrincipalTagsAndVariables(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	f.must(f.n.apply(f.ctx, fsm.CmdTagUser, &fsm.TagUser{AccountID: f.acct, UserID: alice.UserID, Name: "alice",
		Tags: []fsm.Tag{{Key: "Team", Value: "eng"}}}))
	f.inline(fsm.EntityUser, alice.UserID, "team", `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"iam:GetGroup","Resource":"arn:aws:iam::*:group/${aws:PrincipalTag/Team}-*"}]}`)
	c := f.caller(alice)
	if err := f.n.AuthorizeIAM(c, "iam:GetGroup", "arn:aws:iam::"+f.acct+":group/eng-admins"); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:GetGroup", "arn:aws:iam::"+f.acct+":group/ops-admins"), "no identity-based policy")
}

func TestAuthorizeIAMServiceAccountNarrowed(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	f.inline(fsm.EntityUser, alice.UserID, "all", allowDoc("iam:*", "*"))
	c := f.caller(alice)
	c.Type = PrincipalServiceAccount
	c.ServiceAccount = &fsm.ServiceAccount{ID: "sa:alice:0123", ParentUserID: alice.UserID, Revision: 7,
		Policy: allowDoc("iam:List*", "*")}
	if err := f.n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, f.n.AuthorizeIAM(c, "iam:CreateUser", "*"), "no identity-based policy")
}

// The hot path compiles each stored policy once.
func TestAuthorizeIAMCompilesOncePerVersion(t *testing.T) {
	f := newAuthzFixture(t)
	alice := f.user("alice")
	f.inline(fsm.EntityUser, alice.UserID, "p", allowDoc("iam:ListUsers", "*"))
	c := f.caller(alice)
	if err := f.n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
		t.Fatal(err)
	}
	ip := f.n.fsm.State().InlinePolicy(alice.UserID, "p")
	v, _ := f.n.iam.policies.m.Load(ip.ID)
	first := v.(*cachedPolicy).policy
	for range 3 {
		_ = f.n.AuthorizeIAM(c, "iam:ListUsers", "*")
	}
	v, _ = f.n.iam.policies.m.Load(ip.ID)
	if v.(*cachedPolicy).policy != first {
		t.Fatal("policy compiled again for the same revision")
	}
}

// BenchmarkAuthorizeIAM measures the request path: a user with inline,
// attached and group policies; every policy is compiled once up front.
func BenchmarkAuthorizeIAM(b *testing.B) {
	f := newAuthzFixture(b)
	n := f.n
	alice := f.user("alice")
	g := f.group("g")
	f.join(alice, g)
	f.inline(fsm.EntityUser, alice.UserID, "a", allowDoc("iam:Get*", "arn:aws:iam::*:user/${aws:username}"))
	f.inline(fsm.EntityGroup, g.GroupID, "b", denyDoc("iam:Delete*", "*"))
	p := f.managed("m", allowDoc("iam:List*", "*"))
	f.attach(fsm.EntityUser, alice.UserID, p.Arn)
	c := f.caller(alice)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := n.AuthorizeIAM(c, "iam:ListUsers", "*"); err != nil {
			b.Fatal(err)
		}
	}
}
