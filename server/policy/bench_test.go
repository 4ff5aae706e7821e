package policy

import "testing"

// A realistic policy set for an IAM user: self-service on their own
// credentials, a team S3 policy with prefix and network conditions, and the
// AWS-documented "force MFA" deny. Admins get AdministratorAccess plus the
// same MFA guard.
const (
	benchSelfService = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "OwnCredentials", "Effect": "Allow",
     "Action": ["iam:*AccessKey*", "iam:ChangePassword", "iam:GetUser", "iam:*MFADevice*"],
     "Resource": ["arn:aws:iam::123456789012:user/${aws:username}", "arn:aws:iam::123456789012:mfa/${aws:username}"]},
    {"Sid": "ListUsers", "Effect": "Allow", "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"], "Resource": "*"}
  ]
}`
	benchTeamS3 = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ListTeamPrefix", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::corp-data",
     "Condition": {"StringLike": {"s3:prefix": ["${aws:PrincipalTag/team}/*", "shared/*"]}}},
    {"Sid": "RWTeamObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": ["arn:aws:s3:::corp-data/${aws:PrincipalTag/team}/*", "arn:aws:s3:::corp-data/shared/*"],
     "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}, "Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "NoBucketDelete", "Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"], "Resource": "*"}
  ]
}`
	benchForceMFA = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyWithoutMFA", "Effect": "Deny",
     "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
                   "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
     "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}`
	benchAdmin = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`
)

func benchSet(t testing.TB) []Source {
	return []Source{
		{ID: "user/alice/self-service", Policy: mustParse(t, benchSelfService, Identity)},
		{ID: "arn:aws:iam::123456789012:policy/team-s3", Policy: mustParse(t, benchTeamS3, Identity)},
		{ID: "arn:aws:iam::123456789012:policy/force-mfa", Policy: mustParse(t, benchForceMFA, Identity)},
	}
}

func benchAdminSet(t testing.TB) []Source {
	return []Source{
		{ID: "arn:aws:iam::aws:policy/AdministratorAccess", Policy: mustParse(t, benchAdmin, Identity)},
		{ID: "arn:aws:iam::123456789012:policy/force-mfa", Policy: mustParse(t, benchForceMFA, Identity)},
	}
}

func benchRequests() []Request {
	ctx := map[string][]string{
		"aws:username":               {"alice"},
		"aws:userid":                 {"AIDAEXAMPLEEXAMPLE1"},
		"aws:principaltag/team":      {"blue"},
		"aws:sourceip":               {"10.1.2.3"},
		"aws:securetransport":        {"true"},
		"aws:multifactorauthpresent": {"true"},
		"aws:currenttime":            {"2024-06-01T12:00:00Z"},
		"s3:prefix":                  {"blue/reports/"},
	}
	return []Request{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::corp-data/blue/reports/q1.csv", Context: ctx},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::corp-data/red/x", Context: ctx},
		{Action: "s3:ListBucket", Resource: "arn:aws:s3:::corp-data", Context: ctx},
		{Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::corp-data", Context: ctx},
		{Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::123456789012:user/alice", Context: ctx},
		{Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::123456789012:user/bob", Context: ctx},
		{Action: "iam:CreateUser", Resource: "arn:aws:iam::123456789012:user/carol", Context: ctx},
		{Action: "sts:GetCallerIdentity", Resource: "*", Context: ctx},
	}
}

func benchEvaluate(b *testing.B, set []Source) {
	reqs := benchRequests()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		Evaluate(set, reqs[i%len(reqs)])
	}
}

func BenchmarkEvaluateUser(b *testing.B)  { benchEvaluate(b, benchSet(b)) }
func BenchmarkEvaluateAdmin(b *testing.B) { benchEvaluate(b, benchAdminSet(b)) }

func BenchmarkDecideUser(b *testing.B) {
	set, reqs := benchSet(b), benchRequests()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Decide(set, reqs[i%len(reqs)])
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchTeamS3, Identity); err != nil {
			b.Fatal(err)
		}
	}
}
