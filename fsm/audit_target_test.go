package fsm

import (
	"encoding/json"
	"reflect"
	"testing"
)

// fill sets every settable field of v reachable within depth: strings to
// a value naming the field, slices to one element, maps to one entry,
// pointers to a new filled value. skip leaves one top-level field zero,
// so each target key gets its turn at being the first one set.
func fill(v reflect.Value, name string, depth int, skip int) {
	if depth > 4 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("v-" + name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct && v.Type().Elem().PkgPath() == "time" {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), name, depth+1, -1)
		v.Set(p)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // []byte, RawMessage
			if v.Type() == reflect.TypeFor[json.RawMessage]() {
				v.SetBytes([]byte(`{"Name":"raw"}`))
			}
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), name, depth+1, -1)
		v.Set(s)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		m := reflect.MakeMap(v.Type())
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, name, depth+1, -1)
		m.SetMapIndex(reflect.ValueOf("Name").Convert(v.Type().Key()), e)
		v.Set(m)
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if i == skip || !v.Type().Field(i).IsExported() {
				continue
			}
			fill(v.Field(i), v.Type().Field(i).Name, depth+1, -1)
		}
	}
}

// TestTargetOfMatchesJSON: for every registered command, reading the
// target from the decoded command gives what auditTarget reads from its
// JSON, with all fields set, with each top-level field left out in turn,
// and with none set.
func TestTargetOfMatchesJSON(t *testing.T) {
	checked := 0
	for typ, def := range commands {
		zero, err := def.decode([]byte(`{}`))
		if err != nil {
			continue
		}
		st := reflect.TypeOf(zero).Elem()
		variants := []int{-2} // -2: leave everything zero
		if st.Kind() == reflect.Struct {
			for i := -1; i < st.NumField(); i++ {
				variants = append(variants, i)
			}
		}
		for _, skip := range variants {
			v := reflect.New(st)
			if skip != -2 {
				fill(v.Elem(), "", 0, skip)
			}
			payload, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("%s: marshal: %v", def.name, err)
			}
			cmd, err := def.decode(payload)
			if err != nil {
				t.Fatalf("%s: decode: %v", def.name, err)
			}
			if got, want := targetOf(cmd, payload), auditTarget(payload); got != want {
				t.Errorf("command %d %s (skip %d): targetOf %q, auditTarget %q\n%s", typ, def.name, skip, got, want, payload)
			}
			checked++
		}
	}
	if checked < len(commands) {
		t.Fatalf("checked %d variants for %d commands", checked, len(commands))
	}
	// The fast path is taken for the benchmark's writes, not the fallback.
	for _, typ := range []reflect.Type{reflect.TypeFor[CreateUser](), reflect.TypeFor[DeleteUser](),
		reflect.TypeFor[PutInlinePolicy](), reflect.TypeFor[CreateToken]()} {
		if p := planFor(typ); p == nil || !p.nestedOK {
			t.Errorf("%v uses the JSON fallback", typ)
		}
	}
}
