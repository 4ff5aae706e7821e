// Package server is one iamd node: it builds Raft and the FSM from the
// configuration and exposes the operations the wire dialects call. An
// operation authenticates and authorizes its caller, validates its input,
// and, for a write, proposes exactly one FSM command through Raft and
// returns the command's typed result or error.
//
// server imports fsm and its own sub-packages; it never imports api.
package server
