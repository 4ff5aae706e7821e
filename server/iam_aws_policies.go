package server

import (
	"crypto/sha256"
	"sort"
	"strings"
	"time"

	"iamd/server/policy"
)

// AWS managed policies are built into the server, not stored in the FSM:
// they are the same in every account, immutable, and need no Raft entry
// to exist. Attachments to them are ordinary attachment rows naming the
// ARN (fsm.AttachPolicy with AWSManaged set). Their texts are shortened
// forms of AWS's for the services iamd knows (iam, sts, s3).

// AWSManagedPolicy is one built-in policy.
type AWSManagedPolicy struct {
	Name        string
	Arn         string
	PolicyID    string
	Path        string
	Description string
	Document    string
	CreateDate  time.Time
	compiled    *policy.Policy
}

const awsPolicyArnPrefix = "arn:aws:iam::aws:policy/"

var awsManagedPolicyTexts = []struct{ name, description, doc string }{
	{"AdministratorAccess", "Provides full access to AWS services and resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"ReadOnlyAccess", "Provides read-only access to AWS services and resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:Generate*","iam:Simulate*","s3:Get*","s3:List*","s3:Describe*","sts:Get*"],"Resource":"*"}]}`},
	{"IAMFullAccess", "Provides full access to IAM via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`},
	{"IAMReadOnlyAccess", "Provides read only access to IAM via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`},
	{"IAMUserChangePassword", "Provides the ability for an IAM user to change their own password.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}`},
	{"AmazonS3FullAccess", "Provides full access to all buckets via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}`},
	{"AmazonS3ReadOnlyAccess", "Provides read only access to all buckets via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}`},
}

// awsManagedPolicies maps ARN to policy; awsManagedList is sorted by name
// ignoring case, like the account's own policies.
var (
	awsManagedPolicies = map[string]*AWSManagedPolicy{}
	awsManagedList     []*AWSManagedPolicy
)

func init() {
	created := time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)
	for _, t := range append(awsManagedPolicyTexts, s4RolePolicyTexts...) { // s3_roles.go
		p, err := policy.Parse(t.doc, policy.Identity)
		if err != nil {
			panic("built-in AWS managed policy " + t.name + ": " + err.Error())
		}
		b := &AWSManagedPolicy{Name: t.name, Arn: awsPolicyArnPrefix + t.name, Path: "/",
			PolicyID: builtinPolicyID(t.name), Description: t.description, Document: t.doc,
			CreateDate: created, compiled: p}
		awsManagedPolicies[b.Arn] = b
		awsManagedList = append(awsManagedList, b)
	}
	sort.Slice(awsManagedList, func(i, j int) bool {
		return strings.ToLower(awsManagedList[i].Name) < strings.ToLower(awsManagedList[j].Name)
	})
}

// builtinPolicyID derives a stable ANPA… ID from the name, so that every
// node and every restart shows the same one.
func builtinPolicyID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy/" + name))
	out := []byte("ANPA")
	for _, b := range sum[:17] {
		out = append(out, idAlphabet[int(b)%len(idAlphabet)])
	}
	return string(out)
}

// awsManagedPolicyByArn returns the built-in policy with that ARN, or nil.
func awsManagedPolicyByArn(arn string) *AWSManagedPolicy { return awsManagedPolicies[arn] }

// isAWSPolicyArn reports whether arn is in AWS's managed policy namespace.
func isAWSPolicyArn(arn string) bool { return strings.HasPrefix(arn, awsPolicyArnPrefix) }
