package fsm

import (
	"strings"
	"testing"
	"time"
)

// The users and roles a trust policy names are checked again when the
// write applies: one deleted after the proposer resolved it must not be
// written as trusted.
func TestTrustPrincipalsCheckedInApply(t *testing.T) {
	const acct = "123456789012"
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := New()
	seed(t, f)
	index := uint64(10)
	apply := func(ct CommandType, cmd any) *Result {
		t.Helper()
		index++
		return applyCmd(t, f, index, ct, cmd)
	}
	if res := apply(CmdCreateUser, CreateUser{User: IAMUser{AccountID: acct, UserID: "AIDAALICE", UserName: "alice", Path: "/", CreateDate: now}}); res.Err != nil {
		t.Fatal(res.Err)
	}
	aliceArn := "arn:aws:iam::" + acct + ":user/alice"
	role := IAMRole{AccountID: acct, RoleID: "AROAR1", RoleName: "r1", Path: "/", MaxSessionDuration: 3600, CreateDate: now,
		TrustPrincipals: StringMap{aliceArn: "AIDAALICE"}}
	if res := apply(CmdCreateRole, CreateRole{Role: role}); res.Err != nil {
		t.Fatalf("create with an existing principal: %v", res.Err)
	}
	if res := apply(CmdDeleteUser, DeleteUser{AccountID: acct, UserID: "AIDAALICE", Name: "alice"}); res.Err != nil {
		t.Fatal(res.Err)
	}
	role.RoleID, role.RoleName = "AROAR2", "r2"
	res := apply(CmdCreateRole, CreateRole{Role: role})
	if res.Err == nil || !strings.Contains(res.Err.Error(), `Invalid principal in policy: "AWS":"`+aliceArn+`"`) {
		t.Fatalf("create naming a deleted user: %v", res.Err)
	}
	res = apply(CmdUpdateAssumeRolePolicy, UpdateAssumeRolePolicy{AccountID: acct, RoleID: "AROAR1", Name: "r1",
		Document: "{}", TrustPrincipals: StringMap{aliceArn: "AIDAALICE"}})
	if res.Err == nil {
		t.Fatal("update naming a deleted user applied")
	}
	// A malformed ARN in a hand-made command is refused, not a panic.
	res = apply(CmdUpdateAssumeRolePolicy, UpdateAssumeRolePolicy{AccountID: acct, RoleID: "AROAR1", Name: "r1",
		Document: "{}", TrustPrincipals: StringMap{"nonsense": "AIDAALICE"}})
	if res.Err == nil {
		t.Fatal("update with a malformed ARN applied")
	}
}
