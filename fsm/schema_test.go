package fsm

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hashicorp/go-memdb"
)

// Every fieldIndex builds the bytes memdb's StringFieldIndex builds, for
// rows with values, with mixed case and without values; and the tables'
// string-field indexes are all bound (the unbound ones are not faster).
func TestFieldIndexMatchesStringFieldIndex(t *testing.T) {
	bound, compounds := 0, 0
	for name, def := range tables {
		filled := reflect.New(def.typ)
		fillNonZero(filled.Elem(), 0)
		mixed := reflect.New(def.typ)
		for i := 0; i < def.typ.NumField(); i++ {
			if f := mixed.Elem().Field(i); f.Kind() == reflect.String && f.CanSet() {
				f.SetString("MiXeD-Name.É")
			}
		}
		rows := []any{filled.Interface(), mixed.Interface(), reflect.New(def.typ).Interface()}
		var check func(idx memdb.Indexer)
		check = func(idx memdb.Indexer) {
			switch idx := idx.(type) {
			case *fieldIndex:
				bound++
				for _, args := range [][]any{{"MiXeD-Name.É"}, {""}, {"a", "b"}, {42}, nil} {
					got, err := idx.FromArgs(args...)
					want, wantErr := idx.StringFieldIndex.FromArgs(args...)
					if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
						t.Errorf("%s.%s: FromArgs(%q): fieldIndex gives %q %v, StringFieldIndex %q %v",
							name, idx.Field, args, got, err, want, wantErr)
					}
				}
				for _, row := range rows {
					ok, got, err := idx.FromObject(row)
					wantOK, want, wantErr := idx.StringFieldIndex.FromObject(row)
					if ok != wantOK || !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
						t.Errorf("%s.%s: fieldIndex gives %v %q %v, StringFieldIndex %v %q %v",
							name, idx.Field, ok, got, err, wantOK, want, wantErr)
					}
				}
			case *memdb.StringFieldIndex:
				t.Errorf("%s: StringFieldIndex on %s was not bound to its field", name, idx.Field)
			case *compoundIndex:
				compounds++
				n := len(idx.fields)
				for _, args := range [][]any{repeat("MiXeD-Name.É", n), repeat("", n), repeat("a", n+1), repeat("a", n-1), append(repeat("a", n-1), 42), nil} {
					got, err := idx.FromArgs(args...)
					want, wantErr := idx.CompoundIndex.FromArgs(args...)
					if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
						t.Errorf("%s: compound FromArgs(%q) gives %q %v, memdb's %q %v", name, args, got, err, want, wantErr)
					}
				}
				check(&idx.CompoundIndex)
			case *memdb.CompoundIndex:
				for _, sub := range idx.Indexes {
					check(sub)
				}
			}
		}
		for _, idx := range def.schema.Indexes {
			check(idx.Indexer)
		}
	}
	if bound < len(tables) {
		t.Fatalf("only %d bound field indexes in %d tables", bound, len(tables))
	}
	if compounds < 2 {
		t.Fatalf("only %d compound indexes of string fields", compounds)
	}
}

// repeat returns n copies of s as arguments.
func repeat(s string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// The database does not track watch channels (see newDB): a write leaves
// the channel of a read made before it open. With a primary MemDB the
// commit would close it.
func TestDatabaseDoesNotNotifyWatchers(t *testing.T) {
	db := newDB()
	watch, _, err := db.Txn(false).FirstWatch(tableIAMUsers, "id", "u1")
	if err != nil || watch == nil {
		t.Fatalf("FirstWatch: %v, channel %v", err, watch)
	}
	tx := db.Txn(true)
	if err := tx.Insert(tableIAMUsers, &IAMUser{AccountID: "123456789012", UserID: "u1", UserName: "alice"}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	select {
	case <-watch:
		t.Fatal("the commit closed a watch channel: mutation tracking is on")
	default:
	}
}
