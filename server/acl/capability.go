package acl

import "sort"

// capBits is a set of capabilities. Deny is kept as a bit so that merging
// can see it; a set holding deny holds nothing else.
type capBits uint32

const (
	capDeny capBits = 1 << iota
	capCreate
	capRead
	capUpdate
	capDelete
	capList
	capSudo
	capPatch
	capSubscribe
	capRecover
)

// Capability names as they appear in policies and in sys/capabilities answers.
const (
	Deny      = "deny"
	Create    = "create"
	Read      = "read"
	Update    = "update"
	Delete    = "delete"
	List      = "list"
	Sudo      = "sudo"
	Patch     = "patch"
	Subscribe = "subscribe"
	Recover   = "recover"
	// Root is reported alone by Capabilities for the root policy.
	Root = "root"
)

var capByName = map[string]capBits{
	Deny:      capDeny,
	Create:    capCreate,
	Read:      capRead,
	Update:    capUpdate,
	Delete:    capDelete,
	List:      capList,
	Sudo:      capSudo,
	Patch:     capPatch,
	Subscribe: capSubscribe,
	Recover:   capRecover,
}

// merge adds o to c; deny on either side leaves only deny.
func (c capBits) merge(o capBits) capBits {
	if c&capDeny != 0 || o&capDeny != 0 {
		return capDeny
	}
	return c | o
}

// names returns the capabilities in c sorted by name, or just "deny" when c
// denies or grants nothing, as sys/capabilities-self reports them.
func (c capBits) names() []string {
	if c&capDeny != 0 || c == 0 {
		return []string{Deny}
	}
	out := make([]string, 0, 8)
	for name, bit := range capByName {
		if c&bit != 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Operation is the kind of request being authorized. Vault maps HTTP verbs
// to operations (GET read, LIST or GET ?list=true list, POST/PUT create or
// update, PATCH patch, DELETE delete); that mapping belongs to the caller.
type Operation int

const (
	OpRead Operation = iota + 1
	OpList
	OpCreate
	OpUpdate
	OpPatch
	OpDelete
	// OpRenew, OpRevoke and OpRollback are Vault's internal operations that
	// need the update capability.
	OpRenew
	OpRevoke
	OpRollback
	OpRecover
)

var opNames = map[Operation]string{
	OpRead: "read", OpList: "list", OpCreate: "create", OpUpdate: "update",
	OpPatch: "patch", OpDelete: "delete", OpRenew: "renew", OpRevoke: "revoke",
	OpRollback: "rollback", OpRecover: "recover",
}

func (o Operation) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return "unknown"
}

// needs returns the capability an operation requires, 0 for an unknown one.
func (o Operation) needs() capBits {
	switch o {
	case OpRead:
		return capRead
	case OpList:
		return capList
	case OpCreate:
		return capCreate
	case OpUpdate, OpRenew, OpRevoke, OpRollback:
		return capUpdate
	case OpPatch:
		return capPatch
	case OpDelete:
		return capDelete
	case OpRecover:
		return capRecover
	}
	return 0
}

// checksParameters reports whether Vault applies parameter constraints to
// the operation: only operations that carry request data do.
func (o Operation) checksParameters() bool {
	switch o {
	case OpRead, OpCreate, OpUpdate, OpPatch, OpRecover:
		return true
	}
	return false
}
