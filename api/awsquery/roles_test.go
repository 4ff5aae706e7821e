package awsquery_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"iamd/api/apitest"
)

func trustFor(principal, condition string) string {
	cond := ""
	if condition != "" {
		cond = `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal +
		`"},"Action":"sts:AssumeRole"` + cond + `}]}`
}

func TestRoleLifecycle(t *testing.T) {
	d := apitest.StartDev(t)
	root := rootClient(d)
	trust := trustFor("arn:aws:iam::"+d.AccountID+":root", "")
	out := must[*iam.CreateRoleOutput](t)(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Deployer"),
		AssumeRolePolicyDocument: aws.String(trust), Path: aws.String("/ci/"), Description: aws.String("deploys"),
	}))
	r := out.Role
	if *r.Arn != "arn:aws:iam::"+d.AccountID+":role/ci/Deployer" || !strings.HasPrefix(*r.RoleId, "AROA") ||
		aws.ToInt32(r.MaxSessionDuration) != 3600 || policyText(t, r.AssumeRolePolicyDocument) != trust {
		t.Fatalf("role %+v", r)
	}
	_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust)})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(allow("s3:*", "*"))})
	wantCode(t, err, "MalformedPolicyDocument")
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(trust),
		MaxSessionDuration: aws.Int32(100)})
	wantCode(t, err, "ValidationError")

	must[*iam.UpdateRoleOutput](t)(root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("deployer"), MaxSessionDuration: aws.Int32(7200)}))
	must[*iam.TagRoleOutput](t)(root.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("Deployer"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}))
	got := must[*iam.GetRoleOutput](t)(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Deployer")})).Role
	if aws.ToInt32(got.MaxSessionDuration) != 7200 || aws.ToString(got.Description) != "deploys" || len(got.Tags) != 1 {
		t.Fatalf("after update %+v", got)
	}
	_, err = root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Deployer"), PolicyDocument: aws.String("{")})
	wantCode(t, err, "MalformedPolicyDocument")
	_, err = root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")
	list := must[*iam.ListRolesOutput](t)(root.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ci/")}))
	if len(list.Roles) != 1 || list.Roles[0].Tags != nil {
		t.Fatalf("ListRoles %+v", list.Roles)
	}

	// Policies block deletion until removed.
	must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Deployer"),
		PolicyName: aws.String("p"), PolicyDocument: aws.String(allow("iam:ListUsers", "*"))}))
	must[*iam.AttachRolePolicyOutput](t)(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Deployer"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	ents := must[*iam.ListEntitiesForPolicyOutput](t)(root.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	if len(ents.PolicyRoles) != 1 || *ents.PolicyRoles[0].RoleName != "Deployer" {
		t.Fatalf("PolicyRoles %+v", ents.PolicyRoles)
	}
	gp := must[*iam.GetRolePolicyOutput](t)(root.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("Deployer"), PolicyName: aws.String("p")}))
	if aws.ToString(gp.RoleName) != "Deployer" {
		t.Fatalf("GetRolePolicy %+v", gp)
	}
	_, err = root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Deployer")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DeleteRolePolicyOutput](t)(root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("Deployer"), PolicyName: aws.String("p")}))
	_, err = root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Deployer")})
	wantCode(t, err, "DeleteConflict")
	must[*iam.DetachRolePolicyOutput](t)(root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("Deployer"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	must[*iam.DeleteRoleOutput](t)(root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Deployer")}))
}

func TestAssumeRole(t *testing.T) {
	d, clock := startWithClock(t)
	root := rootClient(d)
	acct := d.AccountID
	carolAK, carolSK := userKey(t, d, "carol")
	daveAK, daveSK := userKey(t, d, "dave")
	carol := stsClient(d, carolAK, carolSK, "")
	carolArn := "arn:aws:iam::" + acct + ":user/carol"

	mkRole := func(name, trust string) string {
		t.Helper()
		r := must[*iam.CreateRoleOutput](t)(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}))
		must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","iam:GetRole"],"Resource":"*"}]}`)}))
		return *r.Role.Arn
	}
	named := mkRole("named", trustFor(carolArn, ""))

	// The trust policy names carol: enough without any identity policy.
	out := must[*sts.AssumeRoleOutput](t)(carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s1")}))
	wantArn := "arn:aws:sts::" + acct + ":assumed-role/named/s1"
	if *out.AssumedRoleUser.Arn != wantArn || !strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":s1") ||
		!strings.HasPrefix(*out.Credentials.AccessKeyId, "ASIA") {
		t.Fatalf("AssumeRole %+v %+v", out.AssumedRoleUser, out.Credentials)
	}
	if exp := time.Until(*out.Credentials.Expiration); exp < 55*time.Minute || exp > 65*time.Minute {
		t.Fatalf("default role session expires in %v", exp)
	}
	id := must[*sts.GetCallerIdentityOutput](t)(sessionSTS(d, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *id.Arn != wantArn || *id.UserId != *out.AssumedRoleUser.AssumedRoleId {
		t.Fatalf("role session identity %+v", id)
	}
	sess := sessionIAM(d, out.Credentials)
	must[*iam.ListUsersOutput](t)(sess.ListUsers(ctx, &iam.ListUsersInput{}))
	_, err := sess.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantCode(t, err, "AccessDenied")
	_, err = sess.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "ValidationError")

	// A session policy narrows the role: role ∩ session.
	narrowed := must[*sts.AssumeRoleOutput](t)(carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s2"),
		Policy: aws.String(allow("iam:GetRole", "*"))}))
	if aws.ToInt32(narrowed.PackedPolicySize) == 0 {
		t.Fatal("PackedPolicySize missing")
	}
	ns := sessionIAM(d, narrowed.Credentials)
	must[*iam.GetRoleOutput](t)(ns.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("named")}))
	_, err = ns.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
	// The session policy cannot add what the role lacks.
	wide := must[*sts.AssumeRoleOutput](t)(carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s3"),
		Policy: aws.String(allow("iam:*", "*"))}))
	_, err = sessionIAM(d, wide.Credentials).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantCode(t, err, "AccessDenied")

	// Not named, no identity policy: denied; root may not assume roles.
	_, err = stsClient(d, daveAK, daveSK, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s9")})
	wantCode(t, err, "AccessDenied")
	_, err = stsClient(d, d.AccessKey, d.SecretKey, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s9")})
	wantCode(t, err, "AccessDenied")

	// Account principal + ExternalId: the identity policy must allow too.
	ext := mkRole("ext", trustFor(acct, `{"StringEquals":{"sts:ExternalId":"xyz-123"}}`))
	assume := func(arn, extID string) error {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("e1")}
		if extID != "" {
			in.ExternalId = aws.String(extID)
		}
		_, err := carol.AssumeRole(ctx, in)
		return err
	}
	wantCode(t, assume(ext, "xyz-123"), "AccessDenied")
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(allow("sts:AssumeRole", "*"))}))
	wantCode(t, assume(ext, ""), "AccessDenied")
	wantCode(t, assume(ext, "other-id"), "AccessDenied")
	if err := assume(ext, "xyz-123"); err != nil {
		t.Fatal(err)
	}

	// A trust policy requiring MFA: refused with long-term keys, allowed
	// with a code.
	mfaRole := mkRole("mfa", trustFor(carolArn, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`))
	wantCode(t, assume(mfaRole, ""), "AccessDenied")
	serial, seed := enrol(t, iamClient(d, carolAK, carolSK), clock, "carol", "carol")
	clock.Advance(time.Minute)
	code := codeAt(t, seed, clock.Now())
	mo := must[*sts.AssumeRoleOutput](t)(carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("m1"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(code)}))
	_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(mfaRole), RoleSessionName: aws.String("m1"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	wantCode(t, err, "AccessDenied") // code reused

	// Bad input: malformed ARN, unknown role, durations.
	for _, arn := range []string{"not-an-arn-at-all-long-enough", "arn:aws:iam::" + acct + ":user/carol"} {
		_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s9")})
		wantCode(t, err, "ValidationError")
	}
	_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/none"), RoleSessionName: aws.String("s9")})
	wantCode(t, err, "AccessDenied")
	_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s9"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError")
	_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s9"), DurationSeconds: aws.Int32(600)})
	wantCode(t, err, "ValidationError")
	_, err = carol.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(named), RoleSessionName: aws.String("s9"), Policy: aws.String(`{"Version":"2012-10-17"}`)})
	wantCode(t, err, "MalformedPolicyDocument")

	// Revocation ends the role's sessions issued so far; deleting the role
	// ends the rest.
	if r := signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form("Action", "RevokeSessions", "RoleName", "mfa")); r.Status != 200 {
		t.Fatal(r.Body)
	}
	_, err = sessionSTS(d, mo.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")
	must[*sts.GetCallerIdentityOutput](t)(sessionSTS(d, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	must[*iam.DeleteRolePolicyOutput](t)(root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("named"), PolicyName: aws.String("p")}))
	must[*iam.DeleteRoleOutput](t)(root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("named")}))
	_, err = sessionSTS(d, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")
	mkRole("named", trustFor(carolArn, "")) // same name, new role: old sessions stay dead
	_, err = sessionSTS(d, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")
}
