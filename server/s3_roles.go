package server

import (
	"strings"

	"iamd/fsm"
)

// S4 roles (spec/account-security.md §3.4, §5.4): Reader, Writer and
// SuperUser are built-in managed policies in AWS's namespace
// (arn:aws:iam::aws:policy/S3Reader, S3Writer, S3SuperUser), attachable
// like any managed policy. A user's role is the highest of them attached
// to it; an S3 credential (s3_credentials.go) is further narrowed to the
// role it was issued for.

// The S4 roles, lowest first.
const (
	RoleReader    = "Reader"
	RoleWriter    = "Writer"
	RoleSuperUser = "SuperUser"
)

var s4Roles = []string{RoleReader, RoleWriter, RoleSuperUser}

// selfInspection lets a credential's holder (or an S3 gateway signing with
// it) read its own user and ask SimulatePrincipalPolicy what it may do;
// S3 credentials get no other IAM access (no self-service key management).
const selfInspection = `{"Sid":"SelfInspection","Effect":"Allow","Action":["iam:GetUser","iam:SimulatePrincipalPolicy"],` +
	`"Resource":["arn:aws:iam::*:user/${aws:username}","arn:aws:iam::*:user/*/${aws:username}"]}`

// s4RolePolicyTexts are added to the built-in AWS managed policies
// (iam_aws_policies.go). Read = S4's GET/HEAD requests, write = its
// PUT/DELETE and multipart requests (§3.4).
var s4RolePolicyTexts = []struct{ name, description, doc string }{
	{"S3Reader", "S4 Reader role: list and read buckets and objects.",
		`{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"},` + selfInspection + `]}`},
	{"S3Writer", "S4 Writer role: Reader plus create, upload and delete.",
		`{"Version":"2012-10-17","Statement":[{"Sid":"ReadWrite","Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Put*","s3:Delete*","s3:CreateBucket","s3:AbortMultipartUpload","s3:RestoreObject"],"Resource":"*"},` + selfInspection + `]}`},
	{"S3SuperUser", "S4 SuperUser role: every S3 action.",
		`{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"},` + selfInspection + `]}`},
}

// S4RolePolicyArn is the managed policy ARN of a role.
func S4RolePolicyArn(role string) string { return awsPolicyArnPrefix + "S3" + role }

// CanonicalS4Role returns the role's canonical spelling ("reader" ->
// "Reader"), or "" for an unknown role.
func CanonicalS4Role(role string) string {
	for _, r := range s4Roles {
		if strings.EqualFold(r, role) {
			return r
		}
	}
	return ""
}

// UserS4Role returns the highest role attached to the user, "" if none.
func UserS4Role(st *fsm.State, u *fsm.IAMUser) string {
	attached := map[string]bool{}
	for _, arn := range st.AttachedPolicyArns(u.UserID) {
		attached[arn] = true
	}
	for i := len(s4Roles) - 1; i >= 0; i-- {
		if attached[S4RolePolicyArn(s4Roles[i])] {
			return s4Roles[i]
		}
	}
	return ""
}
