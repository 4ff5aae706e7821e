package fsm

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"
)

// tableDef is one state table: its memdb schema and the Go type of the
// objects it holds (always stored as pointers, never mutated once inserted).
type tableDef struct {
	schema *memdb.TableSchema
	typ    reflect.Type
}

var tables = map[string]tableDef{}

// registerTable adds a table whose rows are *T. Snapshot and Restore cover
// every registered table without further code.
func registerTable[T any](schema *memdb.TableSchema) {
	if _, dup := tables[schema.Name]; dup {
		panic(fmt.Sprintf("fsm: table %q registered twice", schema.Name))
	}
	typ := reflect.TypeFor[T]()
	for _, idx := range schema.Indexes {
		idx.Indexer = bindFields(idx.Indexer, typ)
	}
	tables[schema.Name] = tableDef{schema: schema, typ: typ}
}

// registerKeyedTable adds a table of *T whose only index is its unique
// "id" on field.
func registerKeyedTable[T any](name, field string) {
	registerTable[T](&memdb.TableSchema{Name: name, Indexes: map[string]*memdb.IndexSchema{"id": idIndex(field)}})
}

func dbSchema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for name, def := range tables {
		s.Tables[name] = def.schema
	}
	return s
}

func tableNames() []string {
	names := make([]string, 0, len(tables))
	for name := range tables {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// newDB returns an empty database that does not notify watchers. Nothing
// here watches memdb (reads take snapshots of it), yet a primary MemDB
// makes every write transaction collect the watch channel of each radix
// node it replaces, and close them all on commit. A snapshot of the new
// database is the same database with that tracking off: at 400k users a
// restore, which replaces millions of nodes, took 7-9% less time, and a
// create + delete of a user 5 fewer allocations.
func newDB() *memdb.MemDB {
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		panic(fmt.Sprintf("fsm: invalid schema: %v", err))
	}
	return db.Snapshot()
}

// Index helpers shared by the table files.

func idIndex(field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: field}}
}

func uniqueIndex(name, field string, lowercase bool) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, Unique: true, AllowMissing: true,
		Indexer: &memdb.StringFieldIndex{Field: field, Lowercase: lowercase}}
}

func plainIndex(name, field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: field}}
}

// mountNameIndex is the unique (MountAccessor, Name) index of alias
// tables: a name is used once per auth mount.
func mountNameIndex() *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "factors", Unique: true, Indexer: &memdb.CompoundIndex{
		Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "MountAccessor"},
			&memdb.StringFieldIndex{Field: "Name"},
		},
	}}
}

func sliceIndex(name, field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: field}}
}

// fieldIndex is memdb's StringFieldIndex with its field found once, when
// the table is registered: StringFieldIndex looks the field up by name
// on every call, and every insert computes each index's value (about 2 s
// of a million-user restore went to reflect's FieldByName). It builds the
// same bytes; rows of another type fall back to the lookup by name.
type fieldIndex struct {
	memdb.StringFieldIndex
	row reflect.Type // the table's row type (not a pointer)
	at  int          // the field's index in row
}

// bindFields returns indexer with every StringFieldIndex over a string
// field of row, also inside a CompoundIndex, replaced by a fieldIndex, and
// a CompoundIndex of fieldIndexes only by a compoundIndex.
func bindFields(indexer memdb.Indexer, row reflect.Type) memdb.Indexer {
	switch idx := indexer.(type) {
	case *memdb.StringFieldIndex:
		f, ok := row.FieldByName(idx.Field)
		if !ok || len(f.Index) != 1 || f.Type.Kind() != reflect.String {
			return idx
		}
		return &fieldIndex{StringFieldIndex: *idx, row: row, at: f.Index[0]}
	case *memdb.CompoundIndex:
		subs := make([]memdb.Indexer, len(idx.Indexes))
		fields := make([]*fieldIndex, 0, len(idx.Indexes))
		for i, sub := range idx.Indexes {
			subs[i] = bindFields(sub, row)
			if f, ok := subs[i].(*fieldIndex); ok {
				fields = append(fields, f)
			}
		}
		bound := memdb.CompoundIndex{Indexes: subs, AllowMissing: idx.AllowMissing}
		if len(fields) < len(subs) || len(fields) > maxCompoundFields {
			return &bound
		}
		return &compoundIndex{CompoundIndex: bound, fields: fields}
	}
	return indexer
}

// maxCompoundFields bounds the fields of a compoundIndex, so that FromArgs
// can keep their values on the stack.
const maxCompoundFields = 4

// compoundIndex is memdb's CompoundIndex over string fields only, with
// FromArgs building the key in one allocation. memdb's makes one for each
// field's value, one for each field's argument list and more as it appends
// them: five or six for a lookup by (account, name).
type compoundIndex struct {
	memdb.CompoundIndex
	fields []*fieldIndex
}

// FromArgs gives the bytes memdb's would: each value, lower-cased where
// its field is, followed by a NUL. Anything but one string per field goes
// to memdb's for its error.
func (c *compoundIndex) FromArgs(args ...any) ([]byte, error) {
	var vals [maxCompoundFields]string
	if len(args) != len(c.fields) {
		return c.CompoundIndex.FromArgs(args...)
	}
	size := 0
	for i, arg := range args {
		s, ok := arg.(string)
		if !ok {
			return c.CompoundIndex.FromArgs(args...)
		}
		vals[i] = c.fields[i].fold(s)
		size += len(vals[i]) + 1
	}
	out := make([]byte, 0, size)
	for _, s := range vals[:len(args)] {
		out = append(out, s...)
		out = append(out, 0)
	}
	return out, nil
}

// FromArgs is StringFieldIndex's with one allocation instead of two (it
// appends the terminator to a copy of the string, then converts that): every
// lookup by a string field, on reads and in apply functions, builds one.
// Anything but one string goes to StringFieldIndex for its error.
func (s *fieldIndex) FromArgs(args ...any) ([]byte, error) {
	arg, ok := "", len(args) == 1
	if ok {
		arg, ok = args[0].(string)
	}
	if !ok {
		return s.StringFieldIndex.FromArgs(args...)
	}
	arg = s.fold(arg)
	out := make([]byte, len(arg)+1) // the value and memdb's NUL terminator
	copy(out, arg)
	return out, nil
}

// fold is v as the index stores it: lower-cased when the field is.
func (s *fieldIndex) fold(v string) string {
	if s.Lowercase {
		return strings.ToLower(v)
	}
	return v
}

func (s *fieldIndex) FromObject(obj any) (bool, []byte, error) {
	v := reflect.Indirect(reflect.ValueOf(obj))
	if v.Type() != s.row {
		return s.StringFieldIndex.FromObject(obj)
	}
	val := v.Field(s.at).String()
	if val == "" {
		return false, nil, nil
	}
	val = s.fold(val)
	out := make([]byte, len(val)+1) // the value and memdb's NUL terminator
	copy(out, val)
	return true, out, nil
}
