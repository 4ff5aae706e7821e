package fsm

import (
	"hash/maphash"
	"maps"
	"slices"
	"sync"
)

// Access keys' last uses (RecordKeyUse) live beside memdb, not in the
// access-key rows. When every request signs with a different key, each
// node publishes tens of thousands of uses a minute, and a row write in
// memdb copies the key's path in both of its indexes, with new watch
// channels: about 21 µs per use at 262,144 keys, 1.4 s of every node's CPU
// per flush of 65,536 uses. A map write costs well under a microsecond.
//
// The table is written only by the FSM goroutine, when a transaction that
// set or dropped uses commits (txn.Commit); a transaction that aborts
// leaves it alone. Readers take a shard's read lock. Readers see
// the latest committed uses rather than those of their memdb snapshot,
// which only ever makes a last use fresher.
//
// Snapshots see a frozen table: freeze hands out the shards' maps and
// marks them shared, and the next write to a shared shard copies its map
// first. Snapshots and Digest put each use back into its key's row as
// AccessKey.LastUsed, so the snapshot format is the same as when the rows
// held them, and Restore takes them out again.

const keyUseShards = 64

type keyUseTable struct {
	seed   maphash.Seed
	shards [keyUseShards]keyUseShard
}

type keyUseShard struct {
	mu     sync.RWMutex
	uses   map[string]KeyUse // access key ID -> last use
	shared bool              // uses is also a frozen table's: copy before writing
}

func newKeyUseTable() *keyUseTable {
	return &keyUseTable{seed: maphash.MakeSeed()}
}

func (t *keyUseTable) shard(id string) *keyUseShard {
	return &t.shards[maphash.String(t.seed, id)%keyUseShards]
}

// get returns id's last use.
func (t *keyUseTable) get(id string) (KeyUse, bool) {
	s := t.shard(id)
	s.mu.RLock()
	u, ok := s.uses[id]
	s.mu.RUnlock()
	return u, ok
}

// set and drop are for the FSM goroutine alone.
func (t *keyUseTable) set(id string, u KeyUse) {
	s := t.shard(id)
	s.mu.Lock()
	s.own()
	s.uses[id] = u
	s.mu.Unlock()
}

func (t *keyUseTable) drop(id string) {
	s := t.shard(id)
	s.mu.Lock()
	if _, ok := s.uses[id]; ok {
		s.own()
		delete(s.uses, id)
	}
	s.mu.Unlock()
}

// own makes s.uses writable: its own map, not a frozen table's.
func (s *keyUseShard) own() {
	switch {
	case s.uses == nil:
		s.uses = map[string]KeyUse{}
	case s.shared:
		s.uses = maps.Clone(s.uses)
	}
	s.shared = false
}

// freeze returns a read-only copy of the table as it is now, sharing the
// maps until the next write to each shard.
func (t *keyUseTable) freeze() *keyUseTable {
	f := &keyUseTable{seed: t.seed}
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		s.shared = s.uses != nil
		f.shards[i].uses = s.uses
		f.shards[i].shared = true
		s.mu.Unlock()
	}
	return f
}

// len counts the uses.
func (t *keyUseTable) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		n += len(s.uses)
		s.mu.RUnlock()
	}
	return n
}

// withUse returns a snapshot's view of an access-key row: the row with its
// last use, if it has one.
func (t *keyUseTable) withUse(obj any) any {
	k, ok := obj.(*AccessKey)
	if !ok {
		return obj
	}
	u, ok := t.get(k.AccessKeyID)
	if !ok {
		return obj
	}
	c := *k
	c.LastUsed = &u
	return &c
}

// keyUse returns id's last use as this transaction sees it.
func (t *txn) keyUse(id string) (KeyUse, bool) {
	if u, ok := t.pendingUses[id]; ok {
		if u == nil {
			return KeyUse{}, false
		}
		return *u, true
	}
	return t.uses.get(id)
}

// expectKeyUses makes the transaction's pending uses with room for n, if
// it has none yet (later entries of a batch let the map grow).
func (t *txn) expectKeyUses(n int) {
	if t.pendingUses == nil {
		t.pendingUses = make(map[string]*KeyUse, n)
	}
}

// setKeyUse records id's last use, for when the transaction commits.
func (t *txn) setKeyUse(id string, u KeyUse) {
	if t.pendingUses == nil {
		t.pendingUses = map[string]*KeyUse{}
	}
	t.pendingUses[id] = &u
	t.useWrites++
}

// dropKeyUse forgets a deleted key's last use when the transaction commits.
func (t *txn) dropKeyUse(id string) {
	if t.pendingUses == nil {
		t.pendingUses = map[string]*KeyUse{}
	}
	t.pendingUses[id] = nil
	t.useWrites++
}

// commitKeyUses applies the transaction's uses to the table, once memdb
// has committed.
func (t *txn) commitKeyUses() {
	for id, u := range t.pendingUses {
		if u == nil {
			t.uses.drop(id)
		} else {
			t.uses.set(id, *u)
		}
	}
}

// dropUsesOfDeletedKeys drops the use of every key that no longer exists,
// for deletes that did not name their rows. It reads the whole table, but
// no command deletes keys that way today.
func (t *txn) dropUsesOfDeletedKeys() {
	for i := range t.uses.shards {
		s := &t.uses.shards[i]
		s.mu.RLock()
		ids := slices.Collect(maps.Keys(s.uses))
		s.mu.RUnlock()
		for _, id := range ids {
			if raw, err := t.Txn.First(tableAccessKeys, "id", id); err == nil && raw == nil {
				t.dropKeyUse(id)
			}
		}
	}
}

// KeyLastUsed returns the last use of an access key published through Raft,
// or nil if none was.
func (s *State) KeyLastUsed(id string) *KeyUse {
	u, ok := s.tx.keyUse(id)
	if !ok {
		return nil
	}
	return &u
}
