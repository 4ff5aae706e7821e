package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
)

// Access key last use (GetAccessKeyLastUsed, spec §4.2).
//
// Authentication must not write through Raft, so each node keeps the last
// use of every key it has verified in memory (keyUseSlot, updated at most
// once per second per key) and every KeyUseFlushInterval proposes one
// RecordKeyUse command with the uses that changed since its previous flush.
// The FSM keeps the newest use per key, so flushes from several nodes may
// arrive in any order. GetAccessKeyLastUsed answers with the newer of the
// replicated use and this node's unflushed one; another node therefore lags
// by up to one interval, and a node that stops loses at most one interval
// of uses. The granularity is one second.

// KeyUseFlushInterval is how often a node publishes the key uses it saw.
var KeyUseFlushInterval = time.Minute

// keyUseSlot is one key's last use on this node: last is replaced (never
// mutated) on use; flushed is the value last published.
type keyUseSlot struct {
	last    atomic.Pointer[fsm.KeyUse]
	flushed atomic.Pointer[fsm.KeyUse]
}

// recordKeyUse notes a verified request. It allocates only when the second,
// service or region changed since the key's previous use.
func (n *Node) recordKeyUse(akid string, now time.Time, service, region string) {
	v, ok := n.iam.uses.Load(akid)
	if !ok {
		v, _ = n.iam.uses.LoadOrStore(akid, new(keyUseSlot))
	}
	slot := v.(*keyUseSlot)
	sec := now.Unix()
	if cur := slot.last.Load(); cur != nil && cur.Time.Unix() >= sec && cur.Service == service && cur.Region == region {
		return
	}
	slot.last.Store(&fsm.KeyUse{Time: time.Unix(sec, 0).UTC(), Service: service, Region: region})
}

// keyLastUsed returns the newest known use of a key: the replicated one or
// this node's unflushed one; nil if never used.
func (n *Node) keyLastUsed(k *fsm.AccessKey) *fsm.KeyUse {
	use := k.LastUsed
	if v, ok := n.iam.uses.Load(k.AccessKeyID); ok {
		if local := v.(*keyUseSlot).last.Load(); local != nil && (use == nil || local.Time.After(use.Time)) {
			use = local
		}
	}
	return use
}

// FlushKeyUses publishes this node's unpublished key uses in one command
// and forgets slots and opened secrets of keys that no longer exist.
func (n *Node) FlushKeyUses(ctx context.Context) error {
	if !n.Initialized() {
		return nil
	}
	st := n.State()
	cmd := fsm.RecordKeyUse{Uses: map[string]fsm.KeyUse{}}
	pending := map[*keyUseSlot]*fsm.KeyUse{}
	n.iam.uses.Range(func(k, v any) bool {
		id, slot := k.(string), v.(*keyUseSlot)
		if st.AccessKey(id) == nil {
			n.iam.uses.Delete(id)
			return true
		}
		if last := slot.last.Load(); last != nil && last != slot.flushed.Load() {
			cmd.Uses[id] = *last
			pending[slot] = last
		}
		return true
	})
	n.iam.secrets.m.Range(func(k, _ any) bool {
		if st.AccessKey(k.(string)) == nil {
			n.iam.secrets.m.Delete(k)
		}
		return true
	})
	if len(cmd.Uses) == 0 {
		return nil
	}
	if _, err := n.apply(ctx, fsm.CmdRecordKeyUse, cmd); err != nil {
		return err
	}
	for slot, use := range pending {
		slot.flushed.Store(use)
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
			if r := n.Raft(); r == nil || r.State() == raft.Shutdown {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), n.applyTimeout)
			if err := n.FlushKeyUses(ctx); err != nil {
				n.log.Debug("key use flush failed; retrying next interval", "error", err)
			}
			cancel()
		}
	}
}
