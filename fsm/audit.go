package fsm

import (
	"encoding/json"
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// Administrative audit log (spec/account-security.md §5.3, issue 9).
//
// Writes are audited centrally, not by each handler: the proposing node
// wraps a command in an audit envelope (CmdAudited) carrying who asked
// (AuditMeta), and Apply — on every node, deterministically — runs the
// inner command and then appends one hash-chained AuditEntry for it, with
// its result. The log therefore costs no extra Raft write and every node
// derives the same chain. Events that change no state (a failed signature
// check, say) are written with an explicit CmdAuditEvent.
//
// Retention: the last AuditRetention entries stay in the FSM (and so in
// snapshots); older ones are dropped from memory. Enabled file devices
// (sys/audit) receive every entry as one JSON line when it is applied and
// are the long-term record; `iamd audit verify FILE` checks their chain.

// AuditRetention is how many entries the FSM keeps. It is not a setting,
// so that every node trims the same entries; only tests change it.
var AuditRetention = 10000

// AuditMeta is what the proposing node knows about the request behind a
// command. Tokens appear only as HMACs under the audit key.
type AuditMeta struct {
	Time      time.Time `json:"time"`
	Node      string    `json:"node,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	SourceIP  string    `json:"source_ip,omitempty"`
	AccountID string    `json:"account_id,omitempty"`
	Principal string    `json:"principal,omitempty"`
	// TokenHMAC is the audit HMAC of the client token, as Vault's audit
	// devices write client_token.
	TokenHMAC string `json:"token_hmac,omitempty"`
	// ApprovalID is drawn by the proposer for commands that multi-user
	// approval may hold, so that Apply never draws randomness.
	ApprovalID string `json:"approval_id,omitempty"`
}

// AuditEntry is one line of the log. Hash is the hex SHA-256 of the entry's
// JSON encoding with Hash empty; Prev is the previous entry's Hash, which
// chains them.
type AuditEntry struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Index     uint64    `json:"raft_index"`
	Node      string    `json:"node,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	AccountID string    `json:"account_id,omitempty"`
	Principal string    `json:"principal,omitempty"`
	TokenHMAC string    `json:"token_hmac,omitempty"`
	SourceIP  string    `json:"source_ip,omitempty"`
	Action    string    `json:"action"`
	Target    string    `json:"target,omitempty"`
	Result    string    `json:"result"` // success | failure | pending
	Error     string    `json:"error,omitempty"`
	// ApprovalID links the entries of a request held for multi-user
	// approval: its request, and the command when it is carried out.
	ApprovalID string `json:"approval_id,omitempty"`
	Prev       string `json:"prev_hash"`
	Hash       string `json:"hash"`
}

// AuditHead is the chain's tip: the next entry's Prev and Seq-1.
type AuditHead struct {
	ID   string // always "head"
	Seq  uint64
	Hash string
}

// AuditDevice is a Vault-style audit device. Only "file" exists: every node
// appends each applied entry to Options["file_path"].
type AuditDevice struct {
	Path        string // "file/" style, with the trailing slash
	Type        string
	Description string
	Options     StringMap
	Local       bool
}

const (
	tableAuditLog     = "audit_log"
	tableAuditHead    = "audit_head"
	tableAuditDevices = "audit_devices"
)

const (
	CmdAudited           CommandType = 500
	CmdAuditEvent        CommandType = 501
	CmdEnableAuditDevice CommandType = 502
	CmdDisableAudit      CommandType = 503
)

func init() {
	registerTable[AuditEntry](&memdb.TableSchema{
		Name: tableAuditLog,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.UintFieldIndex{Field: "Seq"}},
		},
	})
	registerKeyedTable[AuditHead](tableAuditHead, "ID")
	registerKeyedTable[AuditDevice](tableAuditDevices, "Path")
	// CmdAudited is dispatched by FSM.apply itself (audit_apply.go): its
	// inner command decides what is applied. It is registered for the
	// name table only.
	register(CmdAudited, "audited", func(*txn, Env, *auditEnvelope) (any, error) { return nil, nil })
	register(CmdAuditEvent, "audit-event", applyAuditEvent)
	register(CmdEnableAuditDevice, "enable-audit-device", applyEnableAuditDevice)
	register(CmdDisableAudit, "disable-audit-device", applyDisableAuditDevice)
}

// auditEnvelope is CmdAudited's payload: the inner command and its meta.
type auditEnvelope struct {
	Type    CommandType     `json:"type"`
	Meta    AuditMeta       `json:"meta"`
	Command json.RawMessage `json:"cmd"`
}

// EncodeAudited returns the log entry for command t wrapped with meta. The
// result of applying it is the inner command's result.
func EncodeAudited(t CommandType, cmd any, meta AuditMeta) ([]byte, error) {
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	return Encode(CmdAudited, auditEnvelope{Type: t, Meta: meta, Command: body})
}

// AuditEvent records something that changed no state, such as a refused
// signature or a failed login decided before any command.
type AuditEvent struct {
	Meta   AuditMeta
	Action string
	Target string
	Result string // failure | success
	Error  string
}

func applyAuditEvent(tx *txn, env Env, cmd *AuditEvent) (any, error) {
	if cmd.Action == "" {
		return nil, nil
	}
	res := cmd.Result
	if res == "" {
		res = auditFailure
	}
	_, err := appendAudit(tx, env, cmd.Meta, cmd.Action, cmd.Target, res, cmd.Error, false)
	return nil, err
}

// EnableAuditDevice adds a device; its path must be free.
type EnableAuditDevice struct {
	Device AuditDevice
}

func applyEnableAuditDevice(tx *txn, env Env, cmd *EnableAuditDevice) (any, error) {
	d := cmd.Device
	if first[AuditDevice](tx, tableAuditDevices, "id", d.Path) != nil {
		return nil, iamerr.New(iamerr.Invalid, "path already in use")
	}
	return nil, insert(tx, tableAuditDevices, &d)
}

// DisableAuditDevice removes a device; a missing one is not an error.
type DisableAuditDevice struct {
	Path string
}

func applyDisableAuditDevice(tx *txn, env Env, cmd *DisableAuditDevice) (any, error) {
	if d := first[AuditDevice](tx, tableAuditDevices, "id", cmd.Path); d != nil {
		return nil, tx.Delete(tableAuditDevices, d)
	}
	return nil, nil
}

// AuditDevices lists the enabled devices.
func (s *State) AuditDevices() []*AuditDevice {
	return all[AuditDevice](s.tx, tableAuditDevices, "id")
}

// AuditHead returns the chain's tip (zero when the log is empty).
func (s *State) AuditHead() AuditHead {
	if h := first[AuditHead](s.tx, tableAuditHead, "id", "head"); h != nil {
		return *h
	}
	return AuditHead{ID: "head"}
}

// AuditFilter selects entries for AuditEntries.
type AuditFilter struct {
	Since, Until time.Time // zero: unbounded
	Principal    string
	Action       string // exact, or a prefix ending in "."
	AccountID    string
	After        uint64 // entries with Seq > After
	Limit        int
}

// AuditEntries returns the retained entries matching f in Seq order and
// whether more remain after the last one returned.
func (s *State) AuditEntries(f AuditFilter) ([]*AuditEntry, bool) {
	it, err := s.tx.LowerBound(tableAuditLog, "id", f.After+1)
	if err != nil {
		return nil, false
	}
	var out []*AuditEntry
	for raw := it.Next(); raw != nil; raw = it.Next() {
		e := raw.(*AuditEntry)
		if !f.matches(e) {
			continue
		}
		if f.Limit > 0 && len(out) == f.Limit {
			return out, true
		}
		out = append(out, e)
	}
	return out, false
}

func (f AuditFilter) matches(e *AuditEntry) bool {
	switch {
	case !f.Since.IsZero() && e.Time.Before(f.Since),
		!f.Until.IsZero() && e.Time.After(f.Until),
		f.Principal != "" && e.Principal != f.Principal,
		f.AccountID != "" && e.AccountID != f.AccountID:
		return false
	}
	if f.Action == "" || e.Action == f.Action {
		return true
	}
	return len(f.Action) > 1 && f.Action[len(f.Action)-1] == '.' && len(e.Action) > len(f.Action) &&
		e.Action[:len(f.Action)] == f.Action
}
