package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/internal/telemetry"
)

// Forwarder sends a log entry from a follower to the leader, which applies
// it and answers with the index and the JSON-encoded result. The cluster
// package provides it.
type Forwarder interface {
	ForwardApply(ctx context.Context, entry []byte) (index uint64, value json.RawMessage, err error)
}

// SetForwarder installs the follower-to-leader path for writes.
func (n *Node) SetForwarder(f Forwarder) { n.forwarder.Store(&f) }

// The stages of a forwarded write's time (telemetry.Forwarded).
var (
	forwardedLeader = telemetry.Forwarded.WithLabelValues("leader")
	forwardedLocal  = telemetry.Forwarded.WithLabelValues("local")
)

type indexKey struct{}

// WithIndexRecorder returns a context in which every write records the Raft
// index it was applied at; the wire layer reports it (X-Iamd-Index).
func WithIndexRecorder(ctx context.Context) (context.Context, *uint64) {
	idx := new(uint64)
	return context.WithValue(ctx, indexKey{}, idx), idx
}

func recordIndex(ctx context.Context, index uint64) {
	if p, ok := ctx.Value(indexKey{}).(*uint64); ok && index > *p {
		*p = index
	}
}

// applyAs proposes one command and returns its result as T. On the leader
// the result is the apply function's own value; from a follower it travels
// back as JSON and is decoded into T.
func applyAs[T any](ctx context.Context, n *Node, t fsm.CommandType, cmd any) (T, error) {
	var zero T
	entry, err := n.encodeCommand(ctx, t, cmd) // audit envelope (audit.go)
	if err != nil {
		return zero, iamerr.New(iamerr.Internal, "%v", err)
	}
	res, err := n.ApplyEntry(ctx, entry)
	if err == nil {
		recordIndex(ctx, res.Index)
		if res.Err != nil {
			return zero, res.Err
		}
		if res.Value == nil {
			return zero, nil
		}
		v, ok := res.Value.(T)
		if !ok {
			return zero, iamerr.New(iamerr.Internal, "command %d returned %T", t, res.Value)
		}
		return v, nil
	}
	if !errors.Is(err, raft.ErrNotLeader) {
		return zero, err
	}
	fp, _ := n.forwarder.Load().(*Forwarder)
	if fp == nil {
		return zero, iamerr.New(iamerr.Unavailable, "no active iamd node found")
	}
	sent := time.Now()
	index, raw, err := (*fp).ForwardApply(ctx, entry)
	answered := time.Now()
	forwardedLeader.Observe(answered.Sub(sent).Seconds())
	recordIndex(ctx, index)
	if index > 0 {
		// The leader answered once it had applied the entry; this node may
		// not have yet. Clients do not send X-Iamd-Index back, so this node
		// answers only once its own state has the write (or the refused
		// write's side effects): the client's next request here sees it.
		if werr := n.waitApplied(ctx, index); werr != nil {
			n.log.Warn("answering a forwarded write before this node applied it",
				"index", index, "applied", n.fsm.AppliedIndex(), "error", werr)
		}
		forwardedLocal.Observe(telemetry.Since(answered))
	}
	if err != nil {
		return zero, err
	}
	var out T
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &out); err != nil {
			return zero, iamerr.New(iamerr.Internal, "decode forwarded result: %v", err)
		}
	}
	return out, nil
}

// localApplyWait bounds how long a request waits for this node to apply an
// index the cluster has already committed. A healthy follower needs a few
// milliseconds (raftConfig's CommitTimeout); one far behind still answers.
const localApplyWait = 2 * time.Second

// waitApplied waits until this node has applied index, at most
// localApplyWait and no longer than ctx allows.
func (n *Node) waitApplied(ctx context.Context, index uint64) error {
	if n.fsm.AppliedIndex() >= index {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, localApplyWait)
	defer cancel()
	return n.fsm.WaitForIndex(wctx, index)
}

// apply proposes a command whose result the caller does not need.
func (n *Node) apply(ctx context.Context, t fsm.CommandType, cmd any) (any, error) {
	return applyAs[any](ctx, n, t, cmd)
}

// ApplyEntry applies an encoded entry on this node, which must be the
// leader; otherwise it returns raft.ErrNotLeader. The cluster package calls
// it for entries forwarded by followers.
func (n *Node) ApplyEntry(ctx context.Context, entry []byte) (*fsm.Result, error) {
	r := n.Raft()
	if r == nil || r.State() != raft.Leader {
		return nil, raft.ErrNotLeader
	}
	timeout := n.applyTimeout
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < timeout {
			timeout = d
		}
	}
	start := time.Now()
	f := r.Apply(entry, timeout)
	err := f.Error()
	telemetry.RaftApply.Observe(telemetry.Since(start))
	if err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
			// The entry may or may not commit; the caller sees a clear
			// failure and can retry (commands are idempotent by ID).
			return nil, iamerr.New(iamerr.Unavailable, "leadership lost while applying: %v", err)
		case errors.Is(err, raft.ErrEnqueueTimeout):
			return nil, iamerr.New(iamerr.Unavailable, "timed out waiting for raft")
		case errors.Is(err, raft.ErrRaftShutdown):
			return nil, iamerr.New(iamerr.Unavailable, "node is shutting down")
		}
		return nil, iamerr.New(iamerr.Unavailable, "raft apply: %v", err)
	}
	res, ok := f.Response().(*fsm.Result)
	if !ok {
		return nil, iamerr.New(iamerr.Internal, "unexpected apply response %T", f.Response())
	}
	return res, nil
}
