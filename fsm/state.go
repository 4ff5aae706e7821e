package fsm

// State is a consistent view of the tables. The server gets read-only ones
// from FSM.State; apply functions wrap their write transaction in one so
// that queries are written once.
type State struct {
	tx *txn

	// ro is the transaction of a read-only State (FSM.State), held here so
	// that one allocation per read makes both; tx then points at it.
	ro txn
}

func stateOf(tx *txn) *State { return &State{tx: tx} }

// first returns the single row of table found by index, or nil.
func first[T any](tx *txn, table, index string, args ...any) *T {
	raw, err := tx.First(table, index, args...)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*T)
}

// all returns every row of table matching index and args, in index order.
func all[T any](tx *txn, table, index string, args ...any) []*T {
	it, err := tx.Get(table, index, args...)
	if err != nil {
		return nil
	}
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out
}

// insert stores a row; errors here mean a schema bug, so they are returned
// as internal failures by the caller.
func insert(tx *txn, table string, obj any) error {
	return tx.Insert(table, obj)
}
