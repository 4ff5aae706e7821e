package fsm

import "testing"

// A read-only State costs go-memdb's read transaction and one allocation
// of its own: the txn wrapper lives inside the State.
func TestStateAllocations(t *testing.T) {
	f := New()
	seed(t, f)
	var sink any
	memTxn := testing.AllocsPerRun(100, func() { sink = f.store.Load().db.Txn(false) })
	state := testing.AllocsPerRun(100, func() { sink = f.State() })
	_ = sink
	if state > memTxn+1 {
		t.Fatalf("FSM.State makes %v allocations, go-memdb's read transaction %v: want at most one more", state, memTxn)
	}
	if st := f.State(); st.tx != &st.ro || st.tx.Txn == nil {
		t.Fatal("a read-only State must use its own embedded transaction")
	}
}
