package awsquery_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"iamd/api/apitest"
)

func TestUserInlinePolicies(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	// Whitespace and '+' survive the round trip (percent-encoded answer).
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Sid\": \"a+b\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/a b+c\"}]\n}"
	must[*iam.PutUserPolicyOutput](t)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc)}))
	got := must[*iam.GetUserPolicyOutput](t)(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("ALICE"), PolicyName: aws.String("s3")}))
	if *got.UserName != "alice" || *got.PolicyName != "s3" || policyText(t, got.PolicyDocument) != doc {
		t.Fatalf("got %q %q %q", *got.UserName, *got.PolicyName, policyText(t, got.PolicyDocument))
	}
	raw := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "GetUserPolicy", "Version", "2010-05-08",
		"UserName", "alice", "PolicyName", "s3"))
	if !strings.Contains(raw.Body, "%22a%2Bb%22") || strings.Contains(raw.Body, "a+b") || !strings.Contains(raw.Body, "%0A%20%20") {
		t.Fatalf("document not RFC 3986 encoded: %s", raw.Body)
	}

	for _, name := range []string{"b", "a", "c"} {
		must[*iam.PutUserPolicyOutput](t)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
			PolicyName: aws.String(name), PolicyDocument: aws.String(allow("iam:GetUser", "*"))}))
	}
	l := must[*iam.ListUserPoliciesOutput](t)(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice"), MaxItems: aws.Int32(3)}))
	if fmt.Sprint(l.PolicyNames) != "[a b c]" || !l.IsTruncated {
		t.Fatalf("page 1 = %v %v", l.PolicyNames, l.IsTruncated)
	}
	l = must[*iam.ListUserPoliciesOutput](t)(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice"), Marker: l.Marker}))
	if fmt.Sprint(l.PolicyNames) != "[s3]" || l.IsTruncated {
		t.Fatalf("page 2 = %v", l.PolicyNames)
	}

	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DeleteUserPolicyOutput](t)(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("a")}))
	_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("a")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("a")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allow("iam:GetUser", "*"))})
	wantCode(t, err, "NoSuchEntity")
}

func TestInlinePolicyValidation(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	put := func(doc string) error {
		_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
		return err
	}
	for doc, msg := range map[string]string{
		`{"Version":"2012-10-17","Statement":[`:                                                    "Syntax errors in policy.",
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`:                        "Policy document must be version 2012-10-17 or greater.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`:                 "Policy statement must contain actions.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`:                "Policy statement must contain resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`: "The policy failed legacy parsing",
	} {
		err := put(doc)
		wantCode(t, err, "MalformedPolicyDocument")
		if !strings.Contains(err.Error(), msg) {
			t.Fatalf("%s: %v, want %q", doc, err, msg)
		}
	}
	// A character outside the model's range is a ValidationError.
	wantCode(t, put("{\"Version\":\"2012-10-17\"\u0001}"), "ValidationError")

	// Sizes count non-whitespace characters: user 2048 in total, group 5120.
	big := func(n int) string {
		base := allow("s3:GetObject", "arn:aws:s3:::")
		return allow("s3:GetObject", "arn:aws:s3:::"+strings.Repeat("x", n-len(base)))
	}
	if err := put(big(2048) + strings.Repeat(" ", 500)); err != nil {
		t.Fatalf("2048 non-white characters refused: %v", err)
	}
	_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("q"), PolicyDocument: aws.String(allow("s3:*", "*"))})
	wantCode(t, err, "LimitExceeded")
	if !strings.Contains(err.Error(), "Maximum policy size of 2048 bytes exceeded for user u") {
		t.Fatal(err)
	}
	wantCode(t, put(big(2049)), "LimitExceeded")
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("p"), PolicyDocument: aws.String(big(5120))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("p"), PolicyDocument: aws.String(big(5121))})
	wantCode(t, err, "LimitExceeded")
	gp := must[*iam.GetGroupPolicyOutput](t)(c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("p")}))
	if *gp.GroupName != "g" || policyText(t, gp.PolicyDocument) != big(5120) {
		t.Fatal("the refused replacement changed the stored group policy")
	}
}

func TestManagedPolicyLifecycle(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	cp := must[*iam.CreatePolicyOutput](t)(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("lister"),
		Path: aws.String("/team/"), PolicyDocument: aws.String(allow("iam:List*", "*")), Description: aws.String("lists"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	arn := "arn:aws:iam::" + d.AccountID + ":policy/team/lister"
	if *cp.Policy.Arn != arn || *cp.Policy.DefaultVersionId != "v1" || !strings.HasPrefix(*cp.Policy.PolicyId, "ANPA") || !cp.Policy.IsAttachable {
		t.Fatalf("created %+v", cp.Policy)
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("LISTER"), PolicyDocument: aws.String(allow("s3:*", "*"))})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(allow("s3:*", "*")), Path: aws.String("/a b/")})
	wantCode(t, err, "ValidationError")

	gp := must[*iam.GetPolicyOutput](t)(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))
	if *gp.Policy.Description != "lists" || len(gp.Policy.Tags) != 1 || *gp.Policy.AttachmentCount != 0 {
		t.Fatalf("get %+v", gp.Policy)
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + d.AccountID + ":policy/none")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("not-an-arn-at-all-really")})
	wantCode(t, err, "InvalidInput")

	// Versions: v2..v5, then LimitExceeded; ids are never reused.
	for i := 2; i <= 5; i++ {
		v := must[*iam.CreatePolicyVersionOutput](t)(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn),
			PolicyDocument: aws.String(allow(fmt.Sprintf("iam:Get%d", i), "*")), SetAsDefault: i == 3}))
		if *v.PolicyVersion.VersionId != fmt.Sprintf("v%d", i) || v.PolicyVersion.IsDefaultVersion != (i == 3) {
			t.Fatalf("version %+v", v.PolicyVersion)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allow("s3:*", "*"))})
	wantCode(t, err, "LimitExceeded")
	lv := must[*iam.ListPolicyVersionsOutput](t)(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(3)}))
	if len(lv.Versions) != 3 || *lv.Versions[0].VersionId != "v5" || !lv.IsTruncated || lv.Versions[0].Document != nil {
		t.Fatalf("versions page 1 %+v", lv)
	}
	lv = must[*iam.ListPolicyVersionsOutput](t)(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn), Marker: lv.Marker}))
	if len(lv.Versions) != 2 || *lv.Versions[1].VersionId != "v1" || lv.IsTruncated {
		t.Fatalf("versions page 2 %+v", lv)
	}
	gv := must[*iam.GetPolicyVersionOutput](t)(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")}))
	if !gv.PolicyVersion.IsDefaultVersion || policyText(t, gv.PolicyVersion.Document) != allow("iam:Get3", "*") {
		t.Fatalf("v3 %+v", gv.PolicyVersion)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	wantCode(t, err, "DeleteConflict")
	_, err = c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.SetDefaultPolicyVersionOutput](t)(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")}))
	must[*iam.DeletePolicyVersionOutput](t)(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v4")}))
	v := must[*iam.CreatePolicyVersionOutput](t)(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allow("s3:*", "*"))}))
	if *v.PolicyVersion.VersionId != "v6" {
		t.Fatalf("version id reused: %s", *v.PolicyVersion.VersionId)
	}

	// DeletePolicy: refused while attached, then while versions remain.
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must[*iam.AttachUserPolicyOutput](t)(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantCode(t, err, "DeleteConflict")
	ents := must[*iam.ListEntitiesForPolicyOutput](t)(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)}))
	if len(ents.PolicyUsers) != 1 || *ents.PolicyUsers[0].UserName != "u" || len(ents.PolicyGroups) != 0 {
		t.Fatalf("entities %+v", ents)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DetachUserPolicyOutput](t)(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))
	_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantCode(t, err, "DeleteConflict")
	for _, id := range []string{"v1", "v2", "v3", "v6"} {
		must[*iam.DeletePolicyVersionOutput](t)(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(id)}))
	}
	must[*iam.DeletePolicyOutput](t)(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}))
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	wantCode(t, err, "NoSuchEntity")
}

func TestPolicyTagsAndAWSManaged(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	arn := *must[*iam.CreatePolicyOutput](t)(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allow("s3:*", "*"))})).Policy.Arn
	must[*iam.TagPolicyOutput](t)(c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("b"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}}))
	_, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("x"), Value: aws.String("1")}, {Key: aws.String("X"), Value: aws.String("2")}}})
	wantCode(t, err, "InvalidInput")
	must[*iam.UntagPolicyOutput](t)(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(arn), TagKeys: []string{"B"}}))
	tags := must[*iam.ListPolicyTagsOutput](t)(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn)}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "a" {
		t.Fatalf("tags %+v", tags.Tags)
	}

	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	gp := must[*iam.GetPolicyOutput](t)(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(admin)}))
	if *gp.Policy.PolicyName != "AdministratorAccess" || *gp.Policy.DefaultVersionId != "v1" {
		t.Fatalf("%+v", gp.Policy)
	}
	gv := must[*iam.GetPolicyVersionOutput](t)(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(admin), VersionId: aws.String("v1")}))
	if !strings.Contains(policyText(t, gv.PolicyVersion.Document), `"Action":"*"`) {
		t.Fatal("AdministratorAccess text")
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(admin), PolicyDocument: aws.String(allow("s3:*", "*"))})
	wantCode(t, err, "UnmodifiableEntity")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(admin)})
	wantCode(t, err, "UnmodifiableEntity")
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchThing")})
	wantCode(t, err, "NoSuchEntity")

	// Scope and OnlyAttached.
	names := func(in *iam.ListPoliciesInput) []string {
		var out []string
		p := iam.NewListPoliciesPaginator(c, in, func(o *iam.ListPoliciesPaginatorOptions) { o.Limit = 2 })
		for pages := 0; p.HasMorePages(); pages++ {
			page := must[*iam.ListPoliciesOutput](t)(p.NextPage(ctx))
			for _, pol := range page.Policies {
				out = append(out, *pol.PolicyName)
			}
			if pages > 20 {
				t.Fatal("paginator does not end")
			}
		}
		return out
	}
	if got := names(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}); fmt.Sprint(got) != "[p]" {
		t.Fatalf("local = %v", got)
	}
	awsNames := names(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws})
	for _, want := range []string{"AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess", "IAMUserChangePassword"} {
		if !strings.Contains(fmt.Sprint(awsNames), want) {
			t.Fatalf("AWS scope lacks %s: %v", want, awsNames)
		}
	}
	if all := names(&iam.ListPoliciesInput{}); len(all) != len(awsNames)+1 {
		t.Fatalf("all = %v", all)
	}
	if got := names(&iam.ListPoliciesInput{OnlyAttached: true}); len(got) != 0 {
		t.Fatalf("attached = %v", got)
	}
	must[*iam.CreateGroupOutput](t)(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must[*iam.AttachGroupPolicyOutput](t)(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(admin)}))
	if got := names(&iam.ListPoliciesInput{OnlyAttached: true}); fmt.Sprint(got) != "[AdministratorAccess]" {
		t.Fatalf("attached = %v", got)
	}
	ents := must[*iam.ListEntitiesForPolicyOutput](t)(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(admin)}))
	if len(ents.PolicyGroups) != 1 || *ents.PolicyGroups[0].GroupName != "g" {
		t.Fatalf("entities %+v", ents)
	}
	la := must[*iam.ListAttachedGroupPoliciesOutput](t)(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("g")}))
	if len(la.AttachedPolicies) != 1 || *la.AttachedPolicies[0].PolicyArn != admin {
		t.Fatalf("attached %+v", la)
	}
}

// Attachments are limited to ten per user, also when the eleventh and
// twelfth race: the limit is decided in FSM Apply.
func TestAttachLimitUnderConcurrency(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	const n = 16
	arns := make([]string, n)
	for i := range arns {
		arns[i] = *must[*iam.CreatePolicyOutput](t)(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%02d", i)),
			PolicyDocument: aws.String(allow("s3:*", "*"))})).Policy.Arn
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range arns {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arns[i])})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, err, "LimitExceeded")
		}
	}
	la := must[*iam.ListAttachedUserPoliciesOutput](t)(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))
	if ok != 10 || len(la.AttachedPolicies) != 10 {
		t.Fatalf("%d attached, %d listed; want 10", ok, len(la.AttachedPolicies))
	}
	// Attaching one already attached still succeeds at the limit.
	must[*iam.AttachUserPolicyOutput](t)(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: la.AttachedPolicies[0].PolicyArn}))
	_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::" + d.AccountID + ":policy/none")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: aws.String(arns[0])})
	wantCode(t, err, "NoSuchEntity")
}
