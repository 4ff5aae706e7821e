package policy

import (
	"fmt"
	"unicode"
)

// Quota names a policy size quota (spec/aws-iam.md §3.3).
type Quota int

const (
	UserInlineQuota  Quota = iota // all inline policies of a user: 2048
	GroupInlineQuota              // all inline policies of a group: 5120
	RoleInlineQuota               // all inline policies of a role: 10240
	ManagedQuota                  // one managed policy version: 6144
	TrustQuota                    // a role trust policy: 2048
	SessionQuota                  // an STS session policy: 2048
)

// Limit is the quota's size in characters, whitespace excluded.
func (q Quota) Limit() int {
	switch q {
	case GroupInlineQuota:
		return 5120
	case RoleInlineQuota:
		return 10240
	case ManagedQuota:
		return 6144
	}
	return 2048
}

// Size is the size of doc as AWS counts it against quotas: characters,
// whitespace not counted.
func Size(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// CheckSize checks docs (for inline quotas, all of the entity's inline
// policies including the new one) against quota q and returns a
// *LimitError over it. entity names the user, group or role in the inline
// messages.
func CheckSize(q Quota, entity string, docs ...string) error {
	size := 0
	for _, d := range docs {
		size += Size(d)
	}
	limit := q.Limit()
	if size <= limit {
		return nil
	}
	var msg string
	switch q {
	case UserInlineQuota:
		msg = fmt.Sprintf(msgInlineSize, limit, "user", entity)
	case GroupInlineQuota:
		msg = fmt.Sprintf(msgInlineSize, limit, "group", entity)
	case RoleInlineQuota:
		msg = fmt.Sprintf(msgInlineSize, limit, "role", entity)
	case ManagedQuota:
		msg = fmt.Sprintf(msgManagedSize, limit)
	case TrustQuota:
		msg = fmt.Sprintf(msgTrustSize, limit)
	default:
		msg = fmt.Sprintf(msgPackedTooLarge, (size*100+limit-1)/limit)
	}
	return &LimitError{Message: msg, Size: size, Limit: limit}
}
