// Package vault is the Vault-compatible HTTP dialect under /v1/: it parses
// requests (token header, LIST verb, JSON or form bodies), calls server
// operations and renders Vault's JSON envelope and error shapes
// (spec/vault.md). It decides nothing itself: authorization, validation
// against state and every write happen in package server.
//
// It must not import raft, fsm tables beyond their exported row types, or
// the cluster package.
package vault
