// Command indexcost measures what the indexes of a scale state's two big
// tables (users, and their access keys) cost in go-memdb, the state store
// design.md names, against the same four indexes kept in copy-on-write
// B-trees (google/btree), the structure a redesign of the store would weigh.
// It is the evidence behind "RSS <= 2 GiB at a million users needs another
// store" in docs/benchmarks.md ("At a million users").
//
// Rows are built once, as the scale benchmark builds them (IDs from
// internal/benchids, accounts of 500, 68-byte sealed secrets), and shared by
// both stores. For each store it reports the live heap its indexes add per
// user with one key, the time to build them from the rows in snapshot order
// (a restore's critical path), a lookup by access key ID, and write
// transactions that add -batch users with a key each and publish a new
// snapshot. The B-trees are measured second, with memdb's state still
// live, so their collections mark more: a bias against them, not for.
//
// It also reports what a full collection costs with each store's indexes
// live (a node at a million users runs one every couple of minutes under
// reads, and its marking competes with the reads for the CPU), the minor
// page faults of each build and the process's peak RSS after it, and the faults per user of the writes. A restore's
// faults are what make a fresh node's join slow on a VM
// (docs/benchmarks-history.md, "Tenth session"), and they decide the writes'
// time too: writes into a heap that must grow cost two to three times
// those that reuse freed pages. So compare the stores with -store=memdb
// and -store=btree in separate processes (a second build reuses pages the
// first one's garbage freed), and their writes over a long -writes, which
// takes both heaps through several collections.
//
//	go run ./scripts/indexcost -users=1000000 -batch=16
//	go run ./scripts/indexcost -users=1000000 -batch=16 -writes=256000 -store=btree
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/google/btree"
	"github.com/hashicorp/go-memdb"

	"iamd/fsm"
	"iamd/internal/benchids"
	"iamd/internal/benchmem"
)

func main() {
	users := flag.Int("users", 1_000_000, "users, each with one access key")
	lookups := flag.Int("lookups", 200_000, "random lookups by access key ID")
	writes := flag.Int("writes", 32_000, "users (with one key each) added by write transactions")
	batch := flag.Int("batch", 1, "users added per write transaction (fsm commits a Raft batch in one)")
	flag.IntVar(&degree, "degree", degree, "B-tree degree (nodes hold up to 2*degree-1 entries)")
	only := flag.String("store", "both", "which stores to measure: both, memdb or btree")
	flag.Parse()
	var stores []store
	for _, s := range []store{newMemdbStore(), newBtreeStore()} {
		if *only == "both" || *only == s.name() {
			stores = append(stores, s)
		}
	}
	if len(stores) == 0 {
		fmt.Fprintf(os.Stderr, "indexcost: -store=%s: want both, memdb or btree\n", *only)
		os.Exit(2)
	}

	base := benchmem.LiveHeap()
	us, ks := rows(*users)
	rowHeap := benchmem.LiveHeap() - base
	gcWall, gcCPU := collection()
	fmt.Printf("rows: %d users with one key: %.0f B per user; a full collection with only the rows live: %s (%s of CPU)\n",
		*users, float64(rowHeap)/float64(*users), gcWall, gcCPU)
	fmt.Printf("%-8s %12s %10s %12s %12s %18s %12s %16s %16s %18s\n", "store", "index B/user", "build", "build faults", "peak RSS",
		"collection (CPU)", "lookup", "write (per user)", "allocs (per user)", "write faults/user")
	for _, s := range stores {
		before := benchmem.LiveHeap()
		u0 := usage()
		start := time.Now()
		s.build(us, ks)
		build := time.Since(start)
		u1 := usage()
		heap := benchmem.LiveHeap() - before
		gcWall, gcCPU := collection()
		lookup := timeLookups(s, ks, *lookups)
		u2 := usage()
		write, allocs := timeWrites(s, *users, *writes, *batch)
		u3 := usage()
		fmt.Printf("%-8s %12.0f %10s %12d %9.0f MiB %18s %12s %16s %16.0f %18.2f\n", s.name(), float64(heap)/float64(*users),
			build.Round(time.Millisecond), u1.Minflt-u0.Minflt, float64(u1.Maxrss)/1024,
			fmt.Sprintf("%s (%s)", gcWall, gcCPU), lookup, write, allocs,
			float64(u3.Minflt-u2.Minflt)/float64(*writes))
		runtime.KeepAlive(s)
	}
}

// usage is this process's resource use so far: Minflt counts its minor
// page faults, Maxrss its peak resident set in KiB (on Linux).
func usage() syscall.Rusage {
	var ru syscall.Rusage
	must(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return ru
}

// collection forces three full collections with everything built so far
// live and returns the median one's wall time and CPU time (user + system,
// all threads): what marking this heap costs each cycle.
func collection() (wall, cpu time.Duration) {
	var walls, cpus []time.Duration
	for range 3 {
		u0, t0 := usage(), time.Now()
		runtime.GC()
		walls = append(walls, time.Since(t0))
		cpus = append(cpus, cpuTime(usage())-cpuTime(u0))
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return walls[1].Round(time.Millisecond), cpus[1].Round(time.Millisecond)
}

func cpuTime(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// store is one way of indexing the two tables.
type store interface {
	name() string
	build(us []*fsm.IAMUser, ks []*fsm.AccessKey)
	keyByID(id string) *fsm.AccessKey
	addUsersWithKeys(us []*fsm.IAMUser, ks []*fsm.AccessKey) // in one transaction
}

// rows returns n users and their keys, each slice in ID order, as a
// snapshot lists them.
func rows(n int) ([]*fsm.IAMUser, []*fsm.AccessKey) {
	us := make([]*fsm.IAMUser, n)
	ks := make([]*fsm.AccessKey, n)
	for i := range n {
		us[i], ks[i] = userWithKey(i)
	}
	sort.Slice(us, func(a, b int) bool { return us[a].UserID < us[b].UserID })
	sort.Slice(ks, func(a, b int) bool { return ks[a].AccessKeyID < ks[b].AccessKeyID })
	return us, ks
}

var created = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func userWithKey(i int) (*fsm.IAMUser, *fsm.AccessKey) {
	acct := benchids.AccountID(i)
	u := &fsm.IAMUser{AccountID: acct, UserID: benchids.UserID(i), UserName: benchids.UserName(i), Path: "/", CreateDate: created}
	k := &fsm.AccessKey{AccessKeyID: benchids.KeyID(i), AccountID: acct, UserName: u.UserName, UserID: u.UserID,
		Status: "Active", CreateDate: created, SecretCiphertext: make([]byte, 68)}
	return u, k
}

func timeLookups(s store, ks []*fsm.AccessKey, n int) time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = ks[r.IntN(len(ks))].AccessKeyID
	}
	start := time.Now()
	for _, id := range ids {
		if s.keyByID(id) == nil {
			fmt.Fprintln(os.Stderr, "lookup missed", id)
			os.Exit(1)
		}
	}
	return time.Since(start) / time.Duration(n)
}

// timeWrites adds n users with a key each (numbered after the built ones),
// batch users per transaction, and returns the time and allocations per
// user.
func timeWrites(s store, first, n, batch int) (time.Duration, float64) {
	us := make([]*fsm.IAMUser, n)
	ks := make([]*fsm.AccessKey, n)
	for i := range n {
		us[i], ks[i] = userWithKey(first + i)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	for i := 0; i < n; i += batch {
		end := min(i+batch, n)
		s.addUsersWithKeys(us[i:end], ks[i:end])
	}
	d := time.Since(start)
	runtime.ReadMemStats(&m1)
	return d / time.Duration(n), float64(m1.Mallocs-m0.Mallocs) / float64(n)
}

// memdbStore has the two tables with fsm's indexes (fsm/iam_users.go,
// fsm/accounts.go), in a snapshot of a new MemDB as fsm keeps its state.
type memdbStore struct{ db *memdb.MemDB }

func newMemdbStore() *memdbStore {
	schema := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		"iam_users": {Name: "iam_users", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "UserID"}},
			"name": {Name: "name", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: "AccountID"},
				&memdb.StringFieldIndex{Field: "UserName", Lowercase: true},
			}}},
		}},
		"access_keys": {Name: "access_keys", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "AccessKeyID"}},
			"owner": {Name: "owner", AllowMissing: true, Indexer: &memdb.CompoundIndex{
				Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "AccountID"},
					&memdb.StringFieldIndex{Field: "UserID"},
				},
				AllowMissing: true,
			}},
		}},
	}}
	db, err := memdb.NewMemDB(schema)
	if err != nil {
		panic(err)
	}
	return &memdbStore{db: db.Snapshot()}
}

func (s *memdbStore) name() string { return "memdb" }

func (s *memdbStore) build(us []*fsm.IAMUser, ks []*fsm.AccessKey) {
	tx := s.db.Txn(true)
	for _, u := range us {
		must(tx.Insert("iam_users", u))
	}
	for _, k := range ks {
		must(tx.Insert("access_keys", k))
	}
	tx.Commit()
}

func (s *memdbStore) keyByID(id string) *fsm.AccessKey {
	raw, err := s.db.Txn(false).First("access_keys", "id", id)
	must(err)
	k, _ := raw.(*fsm.AccessKey)
	return k
}

func (s *memdbStore) addUsersWithKeys(us []*fsm.IAMUser, ks []*fsm.AccessKey) {
	tx := s.db.Txn(true)
	for i := range us {
		must(tx.Insert("iam_users", us[i]))
		must(tx.Insert("access_keys", ks[i]))
	}
	tx.Commit()
}

// entry is one B-tree index entry: the index's key for a row.
type entry[T any] struct {
	key string
	row *T
}

func byKey[T any](a, b entry[T]) bool { return a.key < b.key }

// btreeStore keeps the same four indexes in B-trees. A write clones them
// (lazily: nodes are copied when first written) and publishes the clones,
// as a store with memdb's snapshot reads would.
type btreeStore struct {
	usersByID, usersByName *btree.BTreeG[entry[fsm.IAMUser]]
	keysByID, keysByOwner  *btree.BTreeG[entry[fsm.AccessKey]]
}

// degree 16 (nodes of up to 31 entries) by default: etcd's index uses 32;
// a smaller node copies less per write and costs a little more memory.
var degree = 16

func newBtreeStore() *btreeStore {
	return &btreeStore{
		usersByID:   btree.NewG(degree, byKey[fsm.IAMUser]),
		usersByName: btree.NewG(degree, byKey[fsm.IAMUser]),
		keysByID:    btree.NewG(degree, byKey[fsm.AccessKey]),
		keysByOwner: btree.NewG(degree, byKey[fsm.AccessKey]),
	}
}

func (s *btreeStore) name() string { return "btree" }

// The keys are the bytes memdb's indexers build, as strings: a name is
// found ignoring case, and an owner's keys are found by prefix, so the key
// ID ends the owner key to keep entries unique.
func userNameKey(u *fsm.IAMUser) string { return u.AccountID + "\x00" + strings.ToLower(u.UserName) }
func ownerKey(k *fsm.AccessKey) string {
	return k.AccountID + "\x00" + k.UserID + "\x00" + k.AccessKeyID
}

func (s *btreeStore) insert(u *fsm.IAMUser, k *fsm.AccessKey) {
	if u != nil {
		s.usersByID.ReplaceOrInsert(entry[fsm.IAMUser]{u.UserID, u})
		s.usersByName.ReplaceOrInsert(entry[fsm.IAMUser]{userNameKey(u), u})
	}
	if k != nil {
		s.keysByID.ReplaceOrInsert(entry[fsm.AccessKey]{k.AccessKeyID, k})
		s.keysByOwner.ReplaceOrInsert(entry[fsm.AccessKey]{ownerKey(k), k})
	}
}

func (s *btreeStore) build(us []*fsm.IAMUser, ks []*fsm.AccessKey) {
	for _, u := range us {
		s.insert(u, nil)
	}
	for _, k := range ks {
		s.insert(nil, k)
	}
}

func (s *btreeStore) keyByID(id string) *fsm.AccessKey {
	e, _ := s.keysByID.Get(entry[fsm.AccessKey]{key: id})
	return e.row
}

func (s *btreeStore) addUsersWithKeys(us []*fsm.IAMUser, ks []*fsm.AccessKey) {
	next := &btreeStore{
		usersByID: s.usersByID.Clone(), usersByName: s.usersByName.Clone(),
		keysByID: s.keysByID.Clone(), keysByOwner: s.keysByOwner.Clone(),
	}
	for i := range us {
		next.insert(us[i], ks[i])
	}
	*s = *next // publish
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
