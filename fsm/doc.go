// Package fsm owns iamd's replicated state: the go-memdb tables, the commands
// that change them, the Raft FSM that applies those commands, and snapshots.
//
// Every change is a command: a type and a JSON payload (see command.go for the
// encoding; payloads and snapshot rows are written with encoding/json and read
// with segmentio/encoding/json, which reads the same values several times as
// fast; its encoder is not used because it writes a time.Duration as a
// string such as "1h0m0s", which encoding/json cannot read back). Apply decodes the command and runs the one apply function
// registered for its type inside a memdb write transaction. Apply functions
// are deterministic: they read only the command and the current state (never
// the clock or a random source), so every node reaches the same state and the
// same verdict on invariants such as name uniqueness and per-user limits.
// A Raft batch is applied in one transaction, each entry still rolled back on
// its own when it fails (applier.go).
//
// Reads never go through Raft: callers take a State (a memdb read
// transaction), which is lock-free and consistent.
//
// fsm imports neither api, server nor cluster.
package fsm
