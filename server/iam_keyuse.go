package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
)

// Access key last use (GetAccessKeyLastUsed, spec §4.2).
//
// Authentication must not write through Raft, so each node keeps the last
// use of every key it has verified in memory (keyUseSlot, updated at most
// once per second per key) and every KeyUseFlushInterval proposes
// RecordKeyUseGroups commands with the uses that changed since its previous
// flush.
// The FSM keeps the newest use per key, so flushes from several nodes may
// arrive in any order. GetAccessKeyLastUsed answers with the newer of the
// replicated use and this node's unflushed one; another node therefore lags
// by up to one interval, and a node that stops loses at most one interval
// of uses. The granularity is one second.

// KeyUseFlushInterval is how often a node publishes the key uses it saw.
var KeyUseFlushInterval = time.Minute

// KeyUseSlots caps the slots a node keeps (a variable for tests). Slots are
// made only for keys that exist and signed a request correctly, so unknown
// or random key IDs never take one. Policy when the cap is reached: slots
// whose use is already published are dropped (the replicated last use
// answers for them); if every slot is unpublished, the loop is asked to
// flush at once and new keys' uses are not noted until that flush has run
// (their requests still succeed; their last use lags by that flush). The
// table is swept once per flush, not once per request: a sweep of 65,536
// slots costs milliseconds, and with many keys in use every request until
// the flush would pay it.
var KeyUseSlots = 65536

// keyUses is the node's key-use slots and their count.
type keyUses struct {
	m    sync.Map // access key ID -> *keyUseSlot
	n    atomic.Int64
	full atomic.Bool // swept and found no published slot; FlushKeyUses clears it
	// sweptAt is the FSM's KeyDeletions when FlushKeyUses last dropped the
	// slots and secrets of deleted keys.
	sweptAt atomic.Uint64
	once    sync.Once
	kick    chan struct{} // a full table asks keyUseLoop for an early flush
}

func (u *keyUses) kicks() chan struct{} {
	u.once.Do(func() { u.kick = make(chan struct{}, 1) })
	return u.kick
}

func (u *keyUses) load(id string) (*keyUseSlot, bool) {
	v, ok := u.m.Load(id)
	if !ok {
		return nil, false
	}
	return v.(*keyUseSlot), true
}

// slot returns id's slot, making one if the cap allows; nil if not.
func (u *keyUses) slot(id string) *keyUseSlot {
	if s, ok := u.load(id); ok {
		return s
	}
	if u.n.Load() >= int64(KeyUseSlots) {
		if u.full.Load() {
			return nil // a flush is on its way; a sweep now would find nothing
		}
		u.m.Range(func(k, v any) bool { // drop published slots
			if s := v.(*keyUseSlot); s.last.Load() == s.flushed.Load() {
				u.remove(k.(string))
			}
			return true
		})
		if u.n.Load() >= int64(KeyUseSlots) {
			u.full.Store(true)
			select {
			case u.kicks() <- struct{}{}:
			default:
			}
			return nil
		}
	}
	v, loaded := u.m.LoadOrStore(id, new(keyUseSlot))
	if !loaded {
		u.n.Add(1)
	}
	return v.(*keyUseSlot)
}

func (u *keyUses) remove(id string) {
	if _, loaded := u.m.LoadAndDelete(id); loaded {
		u.n.Add(-1)
	}
}

func (u *keyUses) len() int { return int(u.n.Load()) }

// keyUseSlot is one key's last use on this node: last is replaced (never
// mutated) on use; flushed is the value last published.
type keyUseSlot struct {
	last    atomic.Pointer[fsm.KeyUse]
	flushed atomic.Pointer[fsm.KeyUse]
}

// recordKeyUse notes a verified request. It allocates only when the second,
// service or region changed since the key's previous use.
func (n *Node) recordKeyUse(akid string, now time.Time, service, region string) {
	slot := n.iam.uses.slot(akid)
	if slot == nil {
		return // full of unpublished uses; a flush is on its way
	}
	sec := now.Unix()
	if cur := slot.last.Load(); cur != nil && cur.Time.Unix() >= sec && cur.Service == service && cur.Region == region {
		return
	}
	slot.last.Store(&fsm.KeyUse{Time: time.Unix(sec, 0).UTC(), Service: service, Region: region})
}

// keyLastUsed returns the newest known use of a key: the replicated one or
// this node's unflushed one; nil if never used.
func (n *Node) keyLastUsed(st *fsm.State, keyID string) *fsm.KeyUse {
	use := st.KeyLastUsed(keyID)
	if slot, ok := n.iam.uses.load(keyID); ok {
		if local := slot.last.Load(); local != nil && (use == nil || local.Time.After(use.Time)) {
			use = local
		}
	}
	return use
}

// KeyUsesPerEntry caps the uses one RecordKeyUseGroups command carries (a
// variable for tests). A full table flushed in one entry held every node's
// FSM, and so every write, for 1.3-1.5 s; in entries of 512 no entry takes
// more than ~25 ms and the whole flush less CPU (0.9-1.0 s for 65,536
// uses; `go test ./fsm -run '^$' -bench RecordKeyUse -benchtime 1x`).
var KeyUsesPerEntry = 512

// FlushKeyUses publishes this node's unpublished key uses, in commands of
// at most KeyUsesPerEntry, and forgets slots and opened secrets of keys
// that no longer exist.
func (n *Node) FlushKeyUses(ctx context.Context) error {
	if !n.Initialized() {
		return nil
	}
	// Published or not, the next new key may sweep again: a published use
	// frees its slot, and a failed flush is asked for again.
	defer n.iam.uses.full.Store(false)
	// Which cached keys still exist is checked only when a key may have
	// been deleted since the last check: with a million keys each lookup
	// misses the CPU caches, and two tables of 65,536 lookups per flush
	// were a few µs of every read.
	deletions := n.FSM().KeyDeletions() // before the state, so no deletion is missed
	st := n.State()
	sweep := deletions != n.iam.uses.sweptAt.Load()
	type pendingUse struct {
		id   string
		slot *keyUseSlot
		use  *fsm.KeyUse
	}
	var pending []pendingUse
	n.iam.uses.m.Range(func(k, v any) bool {
		id, slot := k.(string), v.(*keyUseSlot)
		if sweep && st.AccessKey(id) == nil {
			n.iam.uses.remove(id)
			return true
		}
		if last := slot.last.Load(); last != nil && last != slot.flushed.Load() {
			pending = append(pending, pendingUse{id, slot, last})
		}
		return true
	})
	if sweep {
		n.iam.secrets.m.Range(func(k, _ any) bool {
			if st.AccessKey(k.(string)) == nil {
				n.iam.secrets.remove(k.(string))
			}
			return true
		})
		n.iam.uses.sweptAt.Store(deletions)
	}
	for len(pending) > 0 {
		chunk := pending[:min(len(pending), KeyUsesPerEntry)]
		pending = pending[len(chunk):]
		var cmd fsm.RecordKeyUseGroups
		for _, p := range chunk {
			cmd.Add(p.id, *p.use)
		}
		if _, err := applyStep[any](ctx, n, fsm.CmdRecordKeyUseGroups, cmd); err != nil {
			return err
		}
		for _, p := range chunk {
			p.slot.flushed.Store(p.use)
		}
	}
	return nil
}

// keyUseLoop flushes key uses every KeyUseFlushInterval until shutdown.
func (n *Node) keyUseLoop() {
	defer n.wg.Done()
	t := time.NewTicker(KeyUseFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		case <-n.iam.uses.kicks():
		}
		if r := n.Raft(); r == nil || r.State() == raft.Shutdown {
			continue
		}
		if err := n.FlushKeyUses(context.Background()); err != nil {
			n.log.Debug("key use flush failed; retrying next interval", "error", err)
		}
	}
}
