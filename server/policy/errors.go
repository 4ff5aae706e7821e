package policy

// MalformedError is a policy document that AWS would reject with
// MalformedPolicyDocument (HTTP 400). Message is AWS's (or moto's) text.
type MalformedError struct {
	Message string
}

func (e *MalformedError) Error() string { return e.Message }

// LimitError is a policy, or an entity's set of inline policies, over a size
// quota. The IAM dialect answers LimitExceeded (409); for STS session
// policies the dialect answers PackedPolicyTooLarge.
type LimitError struct {
	Message string
	Size    int // characters, whitespace excluded
	Limit   int
}

func (e *LimitError) Error() string { return e.Message }

// Messages of the validation rules, in the order the rules run
// (spec/aws-iam.md §6.2). They are compared verbatim by clients and tests.
const (
	msgSyntax         = "Syntax errors in policy."
	msgVersion        = "Policy document must be version 2012-10-17 or greater."
	msgLegacy         = "The policy failed legacy parsing"
	msgSidUnique      = "Statement IDs (SID) in a single policy must be unique."
	msgNoActions      = "Policy statement must contain actions."
	msgNoResources    = "Policy statement must contain resources."
	msgVendorPrefix   = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon       = "Actions/Condition can contain only one colon."
	msgVendorInvalid  = "Vendor %s is not valid"
	msgTrustActions   = "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
	msgTrustResource  = "Has prohibited field Resource."
	msgNoPrincipal    = "Policy document should not specify a principal."
	msgNeedPrincipal  = "Missing required field Principal"
	msgBadPrincipal   = "Invalid principal in policy: \"%s\":\"%s\""
	msgArnFormat      = "Resource %s must be in ARN format or \"*\"."
	msgPartition      = "Partition \"%s\" is not valid for resource \"arn:%s:%s:%s:%s:%s\"."
	msgVendorRegex    = "Resource vendor must be fully qualified and cannot contain regexes."
	msgIAMRegion      = "IAM resource %s cannot contain region information."
	msgS3Region       = "Resource %s can not contain region information."
	msgIAMPathPrefix  = "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."
	msgManagedSize    = "Cannot exceed quota for PolicySize: %d"
	msgInlineSize     = "Maximum policy size of %d bytes exceeded for %s %s"
	msgTrustSize      = "Cannot exceed quota for ACLSizePerRole: %d"
	msgPackedTooLarge = "Packed policy consumes %d%% of allotted space, please use smaller policy."
)

func malformed(msg string) *MalformedError { return &MalformedError{Message: msg} }
