package policy

import (
	"fmt"
	"strings"
)

// partitions are the AWS partitions a Resource ARN may name. Wildcards are
// not accepted in the partition (spec §6.2 rule 6).
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true,
	"aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

var iamPathPrefixes = []string{
	"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
	"server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
	"report/", "access-report/",
}

// resourceFormatError checks one Resource/NotResource value (rule 6) and
// returns AWS's message, or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	parts := strings.SplitN(r, ":", arnSegments)
	switch {
	case len(parts) == 1, parts[0] != "arn":
		// moto ignores the first segment; AWS requires "arn".
		return fmt.Sprintf(msgArnFormat, r)
	case !partitions[parts[1]]:
		return partitionError(r, parts[1])
	case len(parts) < 3, strings.ContainsAny(parts[2], "*?"):
		return msgVendorRegex
	}
	if msg := serviceFormatError(r, parts); msg != "" {
		return msg
	}
	// moto lets "arn:aws:sqs" through; AWS wants all six segments. ARNs
	// with "::" are left to the legacy rule, which reports them first.
	if len(parts) < arnSegments && !strings.Contains(r, "::") {
		return fmt.Sprintf(msgArnFormat, r)
	}
	return ""
}

// serviceFormatError applies the IAM and S3 rules: no region (S3 access
// points excepted) and, for IAM, a known resource type.
func serviceFormatError(r string, parts []string) string {
	regionEmpty := len(parts) > 3 && parts[3] == ""
	resource := ""
	if len(parts) == arnSegments {
		resource = parts[5]
	}
	switch parts[2] {
	case "iam":
		if !regionEmpty {
			return fmt.Sprintf(msgIAMRegion, r)
		}
		if resource != "*" && !hasAnyPrefix(resource, iamPathPrefixes) {
			return msgIAMPathPrefix
		}
	case "s3":
		if !regionEmpty && !strings.HasPrefix(resource, "accesspoint/") {
			return fmt.Sprintf(msgS3Region, r)
		}
	}
	return ""
}

// partitionError renders moto's message, which shows the ARN's remaining
// segments with "*" standing in for missing ones.
func partitionError(r, partition string) string {
	rest := r[len("arn:")+len(partition):]
	rem := []string{""}
	if strings.HasPrefix(rest, ":") {
		rem = strings.Split(rest[1:], ":")
	}
	seg := func(i int) string {
		if i < len(rem) {
			return rem[i]
		}
		return "*"
	}
	arn1 := rem[0]
	if arn1 == "" && len(rem) == 1 {
		arn1 = "*"
	}
	arn4 := "*"
	if len(rem) > 3 {
		arn4 = strings.Join(rem[3:], ":")
	}
	return fmt.Sprintf(msgPartition, partition, partition, arn1, seg(1), seg(2), arn4)
}

// legacyResourceBad is moto's legacy colon rule: an ARN with "::" needs at
// least five colons, and the service segment must not be empty.
func legacyResourceBad(r string) bool {
	if r == "*" {
		return false
	}
	if strings.Contains(r, "::") && strings.Count(r, ":") < 5 {
		return true
	}
	parts := strings.SplitN(r, ":", 4)
	return len(parts) < 3 || parts[2] == ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
