package fsm

import (
	"fmt"
	"reflect"
	"sort"

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
	tables[schema.Name] = tableDef{schema: schema, typ: reflect.TypeFor[T]()}
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

func newDB() *memdb.MemDB {
	db, err := memdb.NewMemDB(dbSchema())
	if err != nil {
		panic(fmt.Sprintf("fsm: invalid schema: %v", err))
	}
	return db
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

func sliceIndex(name, field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: field}}
}
