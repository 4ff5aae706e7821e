//go:build faults

package faults

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// outcome of an operation as the client saw it.
type outcome int

const (
	okOutcome      outcome = iota // acknowledged
	failOutcome                   // certainly not applied (refused before reaching a server, or 4xx)
	unknownOutcome                // may or may not have been applied (timeout, 5xx, cut connection)
)

type opKind int

const (
	opWrite      opKind = iota // register write: entity reg-<key> gets metadata v=value
	opRead                     // register read
	opInsert                   // set insert: entity <value> is created
	opUserInsert               // set insert through the AWS dialect: IAM user <value> is created
)

// op is one recorded operation: its invocation, its response and where it
// ran.
type op struct {
	client     int
	kind       opKind
	key        string
	value      string // written value, or the value read ("" = absent)
	node       string
	generation int // node process incarnation at invocation (reads)
	sameProc   bool
	ryw        bool   // a read that sent X-Iamd-Index
	floor      uint64 // the index a RYW read sent
	floorCall  int64  // call time of the write whose index a RYW read sent
	index      uint64 // raft index of an acknowledged write
	call, ret  int64
	outcome    outcome
	status     int
	detail     string // error text, for the report
}

// history records operations from concurrent clients.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []op
}

func newHistory() *history { return &history{start: time.Now()} }

func (h *history) now() int64 { return int64(time.Since(h.start)) }

func (h *history) add(o op) {
	h.mu.Lock()
	h.ops = append(h.ops, o)
	h.mu.Unlock()
}

func (h *history) snapshot() []op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]op(nil), h.ops...)
}

// registerInput / registerOutput are the porcupine model's operations.
type registerInput struct {
	write bool
	key   string
	value string
}

type registerOutput struct {
	value string
}

// registerModel is one register per key, starting absent (""). Writes are
// blind; a read must return the current value.
var registerModel = porcupine.Model{
	Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, o := range ops {
			k := o.Input.(registerInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], o)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(registerInput)
		if in.write {
			return true, in.value
		}
		return output.(registerOutput).value == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(registerInput)
		if in.write {
			return fmt.Sprintf("write(%s, %q)", in.key, in.value)
		}
		return fmt.Sprintf("read(%s) -> %q", in.key, output.(registerOutput).value)
	},
}

// porcupineOps turns the history into porcupine operations:
//
//   - a write whose outcome is unknown may take effect at any time after
//     its call: its return is pushed to the end of time;
//   - a failed write never happened and is left out;
//   - a read with X-Iamd-Index (read-your-writes) must see the state at an
//     index at least that of the client's write whose index it sent, so it
//     takes effect somewhere between that write's invocation and the
//     read's response: its call is moved back to that write's call;
//   - reads without the header may be stale (local reads) and are checked
//     for monotonicity instead (checkMonotonic).
func porcupineOps(ops []op) []porcupine.Operation {
	var out []porcupine.Operation
	for _, o := range ops {
		switch {
		case o.kind == opWrite && o.outcome != failOutcome:
			ret := o.ret
			if o.outcome == unknownOutcome {
				ret = math.MaxInt64
			}
			out = append(out, porcupine.Operation{ClientId: o.client, Input: registerInput{write: true, key: o.key, value: o.value},
				Call: o.call, Output: registerOutput{}, Return: ret})
		case o.kind == opRead && o.ryw && o.outcome == okOutcome:
			out = append(out, porcupine.Operation{ClientId: o.client, Input: registerInput{key: o.key},
				Call: o.floorCall, Output: registerOutput{value: o.value}, Return: o.ret})
		}
	}
	return out
}

// checkMonotonic checks reads without X-Iamd-Index: on one node process,
// a read that starts after another read returned never sees an older
// write than it did. Writes are ordered by their Raft index, known for
// acknowledged writes; a pair involving a value whose index is unknown is
// skipped. Reads across a restart of the node are reported separately
// (regressions), not as violations: a restarted node serves its last
// snapshot until it has replayed the log.
func checkMonotonic(ops []op) (violations []string, acrossRestarts int) {
	idx := map[string]uint64{"": 0}
	for _, o := range ops {
		if o.kind == opWrite && o.outcome == okOutcome {
			idx[o.key+"="+o.value] = o.index
		}
	}
	type group struct{ node, key string }
	groups := map[group][]op{}
	for _, o := range ops {
		if o.kind == opRead && !o.ryw && o.outcome == okOutcome && o.sameProc {
			g := group{o.node, o.key}
			groups[g] = append(groups[g], o)
		}
	}
	for _, reads := range groups {
		sort.Slice(reads, func(i, j int) bool { return reads[i].call < reads[j].call })
		for j, b := range reads {
			bi, bok := idx[b.key+"="+b.value]
			if !bok {
				continue
			}
			for _, a := range reads[:j] {
				if a.ret >= b.call {
					continue
				}
				ai, aok := idx[a.key+"="+a.value]
				if !aok || ai <= bi {
					continue
				}
				if a.generation != b.generation {
					acrossRestarts++
					continue
				}
				violations = append(violations, fmt.Sprintf(
					"node %s (process %d): read %s = %q (index %d) at %s, later read = %q (index %d) at %s",
					b.node, b.generation, b.key, a.value, ai, time.Duration(a.ret), b.value, bi, time.Duration(b.call)))
				break
			}
		}
	}
	return violations, acrossRestarts
}

// checkWrites checks what does not need a model: acknowledged writes have
// distinct Raft indexes, and a read never returns a value that was not
// being written (or written) before the read returned.
func checkWrites(ops []op) []string {
	var bad []string
	byIndex := map[uint64]string{}
	written := map[string]int64{} // key=value -> call time
	for _, o := range ops {
		if o.kind == opWrite && o.outcome == okOutcome {
			if prev, ok := byIndex[o.index]; ok {
				bad = append(bad, fmt.Sprintf("writes %s and %s=%s both acknowledged at raft index %d", prev, o.key, o.value, o.index))
			}
			byIndex[o.index] = o.key + "=" + o.value
		}
		if o.kind == opWrite && o.outcome != failOutcome {
			written[o.key+"="+o.value] = o.call
		}
	}
	for _, o := range ops {
		if o.kind != opRead || o.outcome != okOutcome || o.value == "" {
			continue
		}
		call, ok := written[o.key+"="+o.value]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("read %s on %s returned %q, which no write that may have succeeded wrote", o.key, o.node, o.value))
		case call > o.ret:
			bad = append(bad, fmt.Sprintf("read %s on %s returned %q before its write was invoked", o.key, o.node, o.value))
		}
	}
	return bad
}

// checkRYW checks reads that sent X-Iamd-Index f by Raft index: the node
// had applied at least f, so the value read must not be older than any
// acknowledged write to that key at an index <= f (by any client).
// Porcupine alone cannot see this: it may linearize such a read before the
// client's own write (see porcupineOps).
func checkRYW(ops []op) []string {
	idx := map[string]uint64{}
	byKey := map[string][]uint64{}
	for _, o := range ops {
		if o.kind == opWrite && o.outcome == okOutcome {
			idx[o.key+"="+o.value] = o.index
			byKey[o.key] = append(byKey[o.key], o.index)
		}
	}
	var bad []string
	for _, o := range ops {
		if o.kind != opRead || !o.ryw || o.outcome != okOutcome {
			continue
		}
		got, known := idx[o.key+"="+o.value]
		if o.value == "" {
			got, known = 0, true
		}
		if !known {
			continue // an unknown-outcome write: its index is not known
		}
		for _, wi := range byKey[o.key] {
			if wi > got && wi <= o.floor {
				bad = append(bad, fmt.Sprintf("read %s on %s with X-Iamd-Index %d returned %q (index %d), missing the write at index %d",
					o.key, o.node, o.floor, o.value, got, wi))
				break
			}
		}
	}
	return bad
}

// summary counts operations by kind and outcome.
func summary(ops []op) string {
	names := map[opKind]string{opWrite: "write", opRead: "read", opInsert: "insert", opUserInsert: "aws-user"}
	outs := map[outcome]string{okOutcome: "ok", failOutcome: "fail", unknownOutcome: "unknown"}
	counts := map[string]int{}
	ryw := 0
	for _, o := range ops {
		counts[names[o.kind]+"/"+outs[o.outcome]]++
		if o.kind == opRead && o.ryw && o.outcome == okOutcome {
			ryw++
		}
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d operations:", len(ops))
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, counts[k])
	}
	fmt.Fprintf(&b, " (read-your-writes reads ok=%d)", ryw)
	return b.String()
}
