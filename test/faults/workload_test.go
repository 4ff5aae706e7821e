//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
)

// registerKeys are the entities the clients overwrite concurrently.
const registerKeys = 6

// workload runs clients that write and read through every node with the
// Vault dialect: identity/entity/name/reg-<k> is a register (its metadata
// "v"), identity/entity/name/set-<client>-<seq> a set insert; and with the
// AWS dialect: CreateUser u-<client>-<seq>, another set insert.
type workload struct {
	c    *cluster
	hist *history
}

// clientState is what one client remembers between its operations.
type clientState struct {
	id        int
	seq       int
	rng       *rand.Rand
	floor     uint64 // highest raft index of this client's acknowledged writes
	floorCall int64  // call time of that write
}

func (w *workload) run(ctx context.Context, clients int) {
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			cs := &clientState{id: id, rng: rand.New(rand.NewPCG(uint64(id), 7))}
			for ctx.Err() == nil {
				w.step(cs)
			}
		}(i)
	}
	wg.Wait()
}

func (w *workload) step(cs *clientState) {
	n := w.c.nodes[cs.rng.IntN(len(w.c.nodes))]
	key := fmt.Sprintf("reg-%d", cs.rng.IntN(registerKeys))
	switch r := cs.rng.IntN(20); {
	case r < 8:
		cs.seq++
		w.write(cs, n, key, fmt.Sprintf("c%d-%d", cs.id, cs.seq))
	case r < 10:
		cs.seq++
		w.insert(cs, n, fmt.Sprintf("set-c%d-%d", cs.id, cs.seq))
	case r < 11:
		cs.seq++
		w.createUser(cs, n, fmt.Sprintf("u-c%d-%d", cs.id, cs.seq))
	default:
		w.read(cs, n, key, cs.floor > 0 && cs.rng.IntN(2) == 0)
	}
}

// classify turns a write's HTTP result into an outcome.
func classify(status int, err error) outcome {
	switch {
	case err != nil && refused(err):
		return failOutcome // never reached a server
	case err != nil:
		return unknownOutcome
	case status == 200 || status == 204:
		return okOutcome
	case status >= 400 && status < 500:
		return failOutcome
	}
	return unknownOutcome
}

func (w *workload) write(cs *clientState, n *node, key, value string) {
	o := op{client: cs.id, kind: opWrite, key: key, value: value, node: n.id, call: w.hist.now()}
	st, h, body, err := call(n, w.c.root, http.MethodPost, "/v1/identity/entity/name/"+key, "",
		map[string]any{"metadata": map[string]string{"v": value}})
	w.finishWrite(cs, &o, st, h, body, err)
}

func (w *workload) insert(cs *clientState, n *node, name string) {
	o := op{client: cs.id, kind: opInsert, value: name, node: n.id, call: w.hist.now()}
	st, h, body, err := call(n, w.c.root, http.MethodPost, "/v1/identity/entity/name/"+name, "", map[string]any{})
	w.finishWrite(cs, &o, st, h, body, err)
}

func (w *workload) finishWrite(cs *clientState, o *op, st int, h http.Header, body []byte, err error) {
	o.ret, o.status, o.outcome = w.hist.now(), st, classify(st, err)
	if err != nil {
		o.detail = err.Error()
	} else if o.outcome != okOutcome {
		o.detail = errorText(body)
	}
	if o.outcome == okOutcome {
		o.index, _ = strconv.ParseUint(h.Get("X-Iamd-Index"), 10, 64)
		if o.index > cs.floor {
			cs.floor, cs.floorCall = o.index, o.call
		}
	}
	w.hist.add(*o)
}

func (w *workload) read(cs *clientState, n *node, key string, ryw bool) {
	o := op{client: cs.id, kind: opRead, key: key, node: n.id, ryw: ryw, generation: n.generation(), call: w.hist.now()}
	index := ""
	if ryw {
		index, o.floor, o.floorCall = strconv.FormatUint(cs.floor, 10), cs.floor, cs.floorCall
	}
	st, _, body, err := call(n, w.c.root, http.MethodGet, "/v1/identity/entity/name/"+key, index, nil)
	o.ret, o.status = w.hist.now(), st
	o.sameProc = n.generation() == o.generation
	switch {
	case err != nil:
		o.outcome, o.detail = failOutcome, err.Error()
	case st == 404:
		o.outcome = okOutcome
	case st == 200:
		var env struct {
			Data struct {
				Metadata map[string]string `json:"metadata"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &env) != nil {
			o.outcome, o.detail = failOutcome, "bad body: "+string(body)
			break
		}
		o.outcome, o.value = okOutcome, env.Data.Metadata["v"]
	default:
		o.outcome, o.detail = failOutcome, string(body)
	}
	w.hist.add(o)
}

// errorText is the first message of a Vault error envelope, else the body.
func errorText(body []byte) string {
	var env struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		return env.Errors[0]
	}
	return string(body)
}
