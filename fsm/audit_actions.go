package fsm

import (
	"encoding/json"
	"sort"
	"strings"
)

// The audit registry: which commands are audited and under which action
// name. Every registered command is audited unless it is listed in
// auditSkip, so commands added later are covered without touching this
// file; auditActions only gives them better names than "command.<name>".

// auditSkip lists high-frequency bookkeeping commands that are not
// security events: spending a token use, expiry sweeps, last-use flushes.
var auditSkip = map[CommandType]bool{
	CmdAudited:            true,
	CmdUseToken:           true,
	CmdTidyTokens:         true,
	CmdRecordKeyUse:       true,
	CmdRecordKeyUseGroups: true,
	CmdTouchLoginSessions: true,
	CmdAuditEvent:         true, // writes its own entry
}

// auditActions names the actions of the commands known today. Types owned
// by work that lands separately are written as numbers (see the ranges in
// command.go) so this file builds without them.
var auditActions = map[CommandType]string{
	CmdInitCluster:     "cluster.init",
	CmdCreateToken:     "token.create",
	CmdRevokeToken:     "token.revoke",
	CmdRenewToken:      "token.renew",
	CmdEnableAuth:      "auth.enable",
	CmdDisableAuth:     "auth.disable",
	CmdTuneAuth:        "auth.tune",
	CmdPutACLPolicy:    "policy.write",
	CmdDeleteACLPolicy: "policy.delete",
	CmdSetPeer:         "cluster.peer.set",
	CmdDeletePeer:      "cluster.peer.delete",

	CmdUpsertEntity:           "identity.entity.write",
	CmdDeleteEntities:         "identity.entity.delete",
	CmdUpsertEntityAlias:      "identity.alias.write",
	CmdDeleteEntityAlias:      "identity.alias.delete",
	CmdUpsertIdentityGroup:    "identity.group.write",
	CmdDeleteIdentityGroup:    "identity.group.delete",
	CmdPutMFAMethod:           "mfa.method.write",
	CmdDeleteMFAMethod:        "mfa.method.delete",
	CmdPutLoginEnforcement:    "mfa.enforcement.write",
	CmdDeleteLoginEnforcement: "mfa.enforcement.delete",
	120:                       "userpass.user.write", // password set and reset
	121:                       "userpass.user.delete",
	122:                       "auth.login.failure",
	123:                       "auth.unlock",
	125:                       "auth.login",
	126:                       "auth.mfa.validate",
	130:                       "mfa.totp.secret.write", // enrolment
	131:                       "mfa.totp.secret.destroy",

	CmdCreateUser:              "iam.user.create",
	CmdUpdateUser:              "iam.user.update",
	CmdDeleteUser:              "iam.user.delete",
	CmdSetUserStatus:           "iam.user.status",
	CmdTagUser:                 "iam.user.tag",
	CmdUntagUser:               "iam.user.untag",
	CmdCreateAccessKey:         "iam.accesskey.create",
	CmdUpdateAccessKey:         "iam.accesskey.update",
	CmdDeleteAccessKey:         "iam.accesskey.delete",
	CmdCreateGroup:             "iam.group.create",
	CmdUpdateGroup:             "iam.group.update",
	CmdDeleteGroup:             "iam.group.delete",
	CmdAddUserToGroup:          "iam.group.add_user",
	CmdRemoveUserFromGroup:     "iam.group.remove_user",
	CmdPutInlinePolicy:         "iam.policy.put_inline",
	CmdDeleteInlinePolicy:      "iam.policy.delete_inline",
	CmdCreatePolicy:            "iam.policy.create",
	CmdDeletePolicy:            "iam.policy.delete",
	CmdCreatePolicyVersion:     "iam.policy.create_version",
	CmdSetDefaultPolicyVersion: "iam.policy.set_default_version",
	CmdDeletePolicyVersion:     "iam.policy.delete_version",
	CmdAttachPolicy:            "iam.policy.attach",
	CmdDetachPolicy:            "iam.policy.detach",
	CmdCreateServiceAccount:    "iam.service_account.create",
	CmdUpdateServiceAccount:    "iam.service_account.update",
	CmdDeleteServiceAccount:    "iam.service_account.delete",

	CmdEnableAuditDevice:  "audit.device.enable",
	CmdDisableAudit:       "audit.device.disable",
	CmdPutAccountSecurity: "account.security.update",
	CmdPutMUAConfig:       "mua.config.update",
	CmdDecideApproval:     "approval.decide",
}

// auditFailures are commands that record a refusal: their entry's result
// is "failure" when they apply.
var auditFailures = map[CommandType]bool{122: true}

// Audited reports whether commands of type t are wrapped in an audit
// envelope by the proposer.
func Audited(t CommandType) bool {
	_, known := commands[t]
	return known && !auditSkip[t]
}

// AuditActionName is the action an entry for command type t carries.
func AuditActionName(t CommandType) string {
	if a, ok := auditActions[t]; ok {
		return a
	}
	if def, ok := commands[t]; ok {
		return "command." + def.name
	}
	return "command.unknown"
}

// AuditActionNames lists every action name the registry can produce.
func AuditActionNames() []string {
	seen := map[string]bool{}
	for t := range commands {
		if Audited(t) {
			seen[AuditActionName(t)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// targetKeys are the payload fields that name what a command acts on, in
// order of preference. The list is closed on purpose: a payload's other
// fields (password hashes, sealed secrets, token HMACs) never reach the log.
var targetKeys = []string{
	"Username", "UserName", "GroupName", "PolicyName", "PolicyArn", "RoleName", "AccessKeyID",
	"AccessKeyId", "SerialNumber", "Name", "EntityID", "IDs", "ID", "Accessor", "Path", "MountAccessor",
}

// auditTarget extracts a command's target from its JSON payload: a target
// key at the top level, else one level down (CreateToken's Token.Accessor,
// Login's Template.Username).
func auditTarget(payload []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(payload, &top) != nil {
		return ""
	}
	if _, ok := top["Approve"]; ok { // DecideApproval: the approval, not the approver
		return pickTarget(map[string]json.RawMessage{"ID": top["ID"]})
	}
	if v := pickTarget(top); v != "" {
		return v
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var nested map[string]json.RawMessage
		if json.Unmarshal(top[k], &nested) == nil {
			if v := pickTarget(nested); v != "" {
				return v
			}
		}
	}
	return ""
}

func pickTarget(m map[string]json.RawMessage) string {
	for _, k := range targetKeys {
		raw, ok := m[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
		var list []string
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			return strings.Join(list, ",")
		}
	}
	return ""
}
