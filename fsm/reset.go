package fsm

// Reset empties every table and sets the applied index back to zero. A node
// calls it while Raft is stopped, before it rejoins a cluster with empty
// storage: the leader then replays the log or installs a snapshot, and the
// old rows must not be there to collide with it.
func (f *FSM) Reset() {
	f.store.Store(newStore())
	f.applied.Store(0)
	f.mu.Lock()
	close(f.advance)
	f.advance = make(chan struct{})
	f.mu.Unlock()
}
