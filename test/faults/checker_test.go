//go:build faults

package faults

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// The checks must fail on histories that break the promises; otherwise a
// passing fault run proves nothing.
func TestCheckersCatchViolations(t *testing.T) {
	w := func(client int, key, v string, idx uint64, call, ret int64) op {
		return op{client: client, kind: opWrite, key: key, value: v, index: idx, call: call, ret: ret, outcome: okOutcome}
	}
	ryw := func(client int, key, v string, floor uint64, floorCall, call, ret int64) op {
		return op{client: client, kind: opRead, key: key, value: v, ryw: true, floor: floor, floorCall: floorCall, call: call, ret: ret, outcome: okOutcome}
	}
	plain := func(node, key, v string, gen int, call, ret int64) op {
		return op{kind: opRead, key: key, value: v, node: node, generation: gen, sameProc: true, call: call, ret: ret, outcome: okOutcome}
	}
	lin := func(ops []op) bool {
		return porcupine.CheckOperations(registerModel, porcupineOps(ops))
	}

	good := []op{w(0, "k", "a", 5, 0, 10), w(1, "k", "b", 6, 20, 30), ryw(1, "k", "b", 6, 20, 40, 50)}
	if !lin(good) || len(checkRYW(good)) != 0 {
		t.Fatal("a correct history was rejected")
	}
	stale := []op{w(0, "k", "a", 5, 0, 10), w(1, "k", "b", 6, 20, 30), ryw(1, "k", "a", 6, 20, 40, 50)}
	if len(checkRYW(stale)) != 1 {
		t.Error("a read-your-writes read that missed the client's own write was accepted")
	}
	absent := []op{w(0, "k", "a", 5, 0, 10), ryw(0, "k", "", 5, 0, 40, 50)}
	if len(checkRYW(absent)) != 1 {
		t.Error("a read-your-writes read that found nothing was accepted")
	}
	lostUnknown := []op{w(0, "k", "a", 5, 0, 10), {client: 1, kind: opWrite, key: "k", value: "b", call: 20, outcome: unknownOutcome},
		ryw(0, "k", "b", 5, 40, 40, 50), ryw(0, "k", "a", 5, 60, 60, 70)}
	if lin(lostUnknown) {
		t.Error("a value that came back after being overwritten was accepted")
	}

	back := []op{w(0, "k", "a", 5, 0, 10), w(0, "k", "b", 6, 20, 30),
		plain("n1", "k", "b", 1, 40, 50), plain("n1", "k", "a", 1, 60, 70)}
	if v, _ := checkMonotonic(back); len(v) != 1 {
		t.Errorf("a read going back in time on one node process: %v", v)
	}
	back[3].generation = 2
	if v, across := checkMonotonic(back); len(v) != 0 || across != 1 {
		t.Errorf("the same across a restart is counted, not a violation: %v %d", v, across)
	}
	ghost := []op{w(0, "k", "a", 5, 0, 10), plain("n1", "k", "zzz", 1, 40, 50)}
	if len(checkWrites(ghost)) != 1 {
		t.Error("a read of a value nobody wrote was accepted")
	}
	dup := []op{w(0, "k", "a", 5, 0, 10), w(1, "k", "b", 5, 0, 10)}
	if len(checkWrites(dup)) != 1 {
		t.Error("two writes acknowledged at one raft index were accepted")
	}
}
