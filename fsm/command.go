package fsm

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	segjson "github.com/segmentio/encoding/json"

	"iamd/iamerr"
)

// CommandType identifies a command in the Raft log. Values are stable on disk:
// never renumber one. Each area owns a range so areas can grow independently:
//
//	1-99     cluster, tokens, mounts (foundation)
//	100-199  Vault identity and login MFA
//	200-399  AWS IAM: accounts, users, keys, groups, policies
//	400-499  STS, roles, MFA devices
//	500-699  account security (access rules, audit, approvals)
type CommandType uint16

// Log entry encoding: 2 bytes big-endian CommandType, then the command's JSON
// encoding. JSON keeps entries readable with `iamd debug` tools and lets
// fields be added without a migration; commands are small, so its cost is
// dwarfed by the fsync each entry needs.
const headerLen = 2

// Encode returns the log entry for a command of type t with payload v.
func Encode(t CommandType, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode command %d: %w", t, err)
	}
	buf := make([]byte, headerLen+len(body))
	binary.BigEndian.PutUint16(buf, uint16(t))
	copy(buf[headerLen:], body)
	return buf, nil
}

// Decode splits a log entry into its type and payload.
func Decode(entry []byte) (CommandType, []byte, error) {
	if len(entry) < headerLen {
		return 0, nil, fmt.Errorf("log entry too short (%d bytes)", len(entry))
	}
	return CommandType(binary.BigEndian.Uint16(entry)), entry[headerLen:], nil
}

// Env is what an apply function may know besides its command: the Raft index
// of the entry being applied. It is the same on every node.
type Env struct {
	Index uint64
}

type applyFunc func(tx *txn, env Env, payload []byte) (any, error)

type commandDef struct {
	name  string
	typ   reflect.Type // the payload's type, C in register
	apply applyFunc
	// decode and run split apply, so that the audited path decodes the
	// command once and reads its target from the decoded value.
	decode func(payload []byte) (any, error)
	run    func(tx *txn, env Env, cmd any) (any, error)
}

// commands maps each command type to its apply function. It is filled by
// register calls next to the table each command changes and is read-only
// once package initialisation is over.
var commands = map[CommandType]commandDef{}

// register binds command type t to fn. The payload is decoded into a fresh *C.
func register[C any](t CommandType, name string, fn func(tx *txn, env Env, cmd *C) (any, error)) {
	if _, dup := commands[t]; dup {
		panic(fmt.Sprintf("fsm: command type %d registered twice", t))
	}
	decode := func(payload []byte) (any, error) {
		cmd := new(C)
		if err := segjson.Unmarshal(payload, cmd); err != nil { // as decodeRecord
			return nil, iamerr.New(iamerr.Invalid, "decode %s command: %v", name, err)
		}
		return cmd, nil
	}
	run := func(tx *txn, env Env, cmd any) (any, error) { return fn(tx, env, cmd.(*C)) }
	commands[t] = commandDef{name: name, typ: reflect.TypeFor[C](), decode: decode, run: run,
		apply: func(tx *txn, env Env, payload []byte) (any, error) {
			cmd, err := decode(payload)
			if err != nil {
				return nil, err
			}
			return run(tx, env, cmd)
		}}
}

// CommandNames lists the registered commands, for documentation and tests.
func CommandNames() map[CommandType]string {
	out := make(map[CommandType]string, len(commands))
	for t, def := range commands {
		out[t] = def.name
	}
	return out
}

func sortedCommandTypes() []CommandType {
	types := make([]CommandType, 0, len(commands))
	for t := range commands {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	return types
}
