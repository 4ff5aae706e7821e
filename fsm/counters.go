package fsm

import (
	"github.com/hashicorp/go-memdb"
)

// Per-account row counts for the IAM quotas (users, groups, roles,
// managed policies, MFA devices per account). Counting an account's rows
// on every create was O(n) per write; the counters table keeps the count,
// changed in the same Apply transaction as the row it counts, so a quota
// is still decided in Apply and is the same on every node. The table is in
// snapshots like every other; Restore nevertheless recounts it from the
// tables (rebuildCounters), so snapshots written before it existed, or by
// a tool that skipped it, restore with correct counts.

// Counter is the number of rows of Table that belong to an account.
type Counter struct {
	Key string // Table + "/" + AccountID
	N   int
}

const tableCounters = "counters"

// countedTables maps each counted table to the account of one of its rows.
var countedTables = map[string]func(row any) string{
	tableIAMUsers:        func(r any) string { return r.(*IAMUser).AccountID },
	tableIAMGroups:       func(r any) string { return r.(*IAMGroup).AccountID },
	tableIAMRoles:        func(r any) string { return r.(*IAMRole).AccountID },
	tableManagedPolicies: func(r any) string { return r.(*ManagedPolicy).AccountID },
	tableMFADevices:      func(r any) string { return r.(*VirtualMFADevice).AccountID },
}

func init() {
	registerKeyedTable[Counter](tableCounters, "Key")
}

func counterKey(table, acct string) string { return table + "/" + acct }

// accountCount is how many rows of table the account holds.
func accountCount(tx *txn, table, acct string) int {
	if c := first[Counter](tx, tableCounters, "id", counterKey(table, acct)); c != nil {
		return c.N
	}
	return 0
}

// addAccountCount changes the account's count of table by d; a count
// that reaches zero leaves no row.
func addAccountCount(tx *txn, table, acct string, d int) error {
	key := counterKey(table, acct)
	c := Counter{Key: key}
	if cur := first[Counter](tx, tableCounters, "id", key); cur != nil {
		c.N = cur.N
		if c.N+d <= 0 {
			return tx.Delete(tableCounters, cur)
		}
	}
	c.N += d
	if c.N <= 0 {
		return nil
	}
	return insert(tx, tableCounters, &c)
}

// rebuildCounters recounts every counted table into a fresh counters table.
func rebuildCounters(db *memdb.MemDB) error {
	tx := db.Txn(true)
	defer tx.Abort()
	if _, err := tx.DeleteAll(tableCounters, "id"); err != nil {
		return err
	}
	counts := map[string]int{}
	for table, acctOf := range countedTables {
		it, err := tx.Get(table, "id")
		if err != nil {
			return err
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			counts[counterKey(table, acctOf(raw))]++
		}
	}
	for key, n := range counts {
		if err := tx.Insert(tableCounters, &Counter{Key: key, N: n}); err != nil {
			return err
		}
	}
	tx.Commit()
	return nil
}

// insertCounted inserts a new row of a counted table and counts it.
func insertCounted(tx *txn, table string, row any) error {
	if err := insert(tx, table, row); err != nil {
		return err
	}
	return addAccountCount(tx, table, countedTables[table](row), 1)
}

// deleteCounted deletes a row of a counted table and uncounts it.
func deleteCounted(tx *txn, table string, row any) error {
	if err := tx.Delete(table, row); err != nil {
		return err
	}
	return addAccountCount(tx, table, countedTables[table](row), -1)
}

// exists reports whether index has any row for args: what count(...) > 0
// asked, without walking them all.
func exists(tx *txn, table, index string, args ...any) bool {
	raw, err := tx.First(table, index, args...)
	return err == nil && raw != nil
}
