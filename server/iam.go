package server

import (
	"encoding/base64"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/sigv4"
)

// AWS IAM operations (spec/aws-iam.md). Files iam_*.go hold one area each;
// every operation validates what the wire layer cannot (semantic rules),
// authorizes the caller with authorize (before any existence check, so that
// names do not leak), then reads local state or proposes one command.

// iamState is the node's IAM runtime state that is not replicated: caches
// and recent key uses. Its zero value is ready to use.
type iamState struct {
	once     sync.Once
	keyCache *sigv4.KeyCache
	uses     keyUses // access key ID -> *keyUseSlot (iam_keyuse.go)
	secrets  secretCache
	// selfServiceOff disables SeaweedFS-style self-service (spec §2.4),
	// which is on by default.
	selfServiceOff atomic.Bool
	// mfaSelfServiceOff disables MFA self-enrolment without a policy
	// (iam_mfa_devices.go), on by default.
	mfaSelfServiceOff atomic.Bool
	// policies holds compiled identity policies, sets each user's policy
	// set as of an applied index (iam_policy_sources.go).
	policies iamPolicyCache
	sets     sync.Map // user ID -> *cachedSet
	setCount atomic.Int64
}

// KeyCacheSize caps the derived signing keys a node keeps (a variable for
// tests and benchmarks; read when the node first verifies a signature).
var KeyCacheSize = 16384

func (s *iamState) keys() *sigv4.KeyCache {
	s.once.Do(func() { s.keyCache = sigv4.NewKeyCache(KeyCacheSize) })
	return s.keyCache
}

// SetIAMSelfService turns SeaweedFS-style self-service on or off: when on, a
// user may read itself and manage its own access keys without a policy.
func (n *Node) SetIAMSelfService(on bool) { n.iam.selfServiceOff.Store(!on) }

// PrincipalType is aws:PrincipalType.
type PrincipalType string

const (
	PrincipalRoot           PrincipalType = "Account"
	PrincipalUser           PrincipalType = "User"
	PrincipalServiceAccount PrincipalType = "ServiceAccount"
	// PrincipalAssumedRole is for STS role sessions.
	PrincipalAssumedRole PrincipalType = "AssumedRole"
)

// AWSCaller is an authenticated AWS-dialect principal and the facts about
// its request that policy conditions may test.
type AWSCaller struct {
	AccountID string
	Type      PrincipalType
	Arn       string
	UserID    string // aws:userid: the user's AIDA…, the account ID for root
	// User is the calling user, or a service account's parent; nil for root.
	User           *fsm.IAMUser
	ServiceAccount *fsm.ServiceAccount
	AccessKeyID    string
	// S4Role is set for an S3 credential (S4AK…): the role that narrows
	// the user's policies (s3_credentials.go).
	S4Role string

	SourceIP        string
	SecureTransport bool
	Time            time.Time
	Region          string
	// MFA is set for session credentials only (STS): long-term keys carry
	// neither aws:MultiFactorAuthPresent nor aws:MultiFactorAuthAge.
	MFA *MFAContext
	// Session is set for STS session credentials (sts_auth.go); Role for
	// an assumed-role session (User is then nil).
	Session *SessionInfo
	Role    *fsm.IAMRole
	// TrustedSessionOnly is set when the API access rules admitted the
	// request only because its session is trusted (access_rules.go).
	TrustedSessionOnly bool
}

// MFAContext is what a session knows about the MFA used to make it.
type MFAContext struct {
	Present  bool
	AuthTime time.Time
}

// IsRoot reports whether the caller is the account root.
func (c *AWSCaller) IsRoot() bool { return c.Type == PrincipalRoot }

// ARNs (spec §3.1).

func iamArn(acct, kind, path, name string) string {
	return "arn:aws:iam::" + acct + ":" + kind + path + name
}

// RootArn is the account root's ARN.
func RootArn(acct string) string { return "arn:aws:iam::" + acct + ":root" }

// UserArn is a user's ARN; a user without a name stands for the root.
func UserArn(u *fsm.IAMUser) string {
	if u.UserName == "" {
		return RootArn(u.AccountID)
	}
	return iamArn(u.AccountID, "user", u.Path, u.UserName)
}

// GroupArn is a group's ARN.
func GroupArn(g *fsm.IAMGroup) string { return iamArn(g.AccountID, "group", g.Path, g.GroupName) }

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newIAMID returns a unique ID: AIDA (user), AGPA (group), ANPA (policy),
// AROA (role) followed by 17 letters and digits.
func newIAMID(prefix string) string { return prefix + randomString(17, idAlphabet) }

// iamNow is the node's time for IAM records, whole seconds as AWS shows.
func (n *Node) iamNow() time.Time { return n.now().UTC().Truncate(time.Second) }

// Errors shared by the IAM operations.

func validationError(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Invalid, "ValidationError", format, args...)
}

func invalidInput(format string, args ...any) error {
	return iamerr.WithCode(iamerr.Invalid, "InvalidInput", format, args...)
}

func noSuchEntity(format string, args ...any) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", format, args...)
}

// Page is one page of a list answer (spec §4 Pagination).
type Page[T any] struct {
	Items       []T
	IsTruncated bool
	Marker      string
}

// DefaultMaxItems is the page size when MaxItems is absent.
const DefaultMaxItems = 100

// paginate cuts one page out of items, which must be sorted by key in
// increasing order with distinct keys. The marker is the last returned key,
// encoded: it stays valid when items are added or removed, and every
// truncated page carries a new one, as botocore's paginator requires.
func paginate[T any](items []T, key func(T) string, marker string, maxItems int) (Page[T], error) {
	start := 0
	if marker != "" {
		k, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || len(k) == 0 || k[0] != markerVersion {
			return Page[T]{}, validationError("Invalid Marker: %s", marker)
		}
		last := string(k[1:])
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > last })
	}
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	end := min(start+maxItems, len(items))
	p := Page[T]{Items: items[start:end]}
	if end < len(items) {
		p.IsTruncated = true
		p.Marker = base64.RawURLEncoding.EncodeToString(append([]byte{markerVersion}, key(items[end-1])...))
	}
	return p, nil
}

// markerVersion prefixes every marker so that the format can change later.
const markerVersion = '1'

// filterPath keeps the items whose path starts with prefix ("" keeps all).
func filterPath[T any](items []T, path func(T) string, prefix string) []T {
	if prefix == "" || prefix == "/" {
		return items
	}
	var out []T
	for _, it := range items {
		if strings.HasPrefix(path(it), prefix) {
			out = append(out, it)
		}
	}
	return out
}

func lowerUserName(u *fsm.IAMUser) string           { return strings.ToLower(u.UserName) }
func lowerGroupName(g *fsm.IAMGroup) string         { return strings.ToLower(g.GroupName) }
func userPath(u *fsm.IAMUser) string                { return u.Path }
func groupPath(g *fsm.IAMGroup) string              { return g.Path }
func identity(s string) string                      { return s }
func lowerTagKey(t fsm.Tag) string                  { return strings.ToLower(t.Key) }
func accessKeyID(k *fsm.AccessKey) string           { return k.AccessKeyID }
func serviceAccountID(s *fsm.ServiceAccount) string { return s.ID }
