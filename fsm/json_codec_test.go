package fsm

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	segjson "github.com/segmentio/encoding/json"
)

// Rows and commands are written with encoding/json and read back with
// segmentio's decoder (decodeRecord, register). Both must read every row
// and command type into the same value: a field one of them dropped would
// be lost at the next restore or differ between nodes.
func TestSegmentioDecodesLikeEncodingJSON(t *testing.T) {
	types := map[string]reflect.Type{}
	for name, def := range tables {
		types["table "+name] = def.typ
	}
	for ct, def := range commands {
		types[fmt.Sprintf("command %d %s", ct, def.name)] = def.typ
	}
	for name, typ := range types {
		v := reflect.New(typ)
		fields := fillNonZero(v.Elem(), 0)
		raw, err := json.Marshal(v.Interface())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		std, seg := reflect.New(typ), reflect.New(typ)
		if err := json.Unmarshal(raw, std.Interface()); err != nil {
			t.Fatalf("%s: encoding/json: %v", name, err)
		}
		if err := segjson.Unmarshal(raw, seg.Interface()); err != nil {
			t.Fatalf("%s: segmentio: %v", name, err)
		}
		if !reflect.DeepEqual(std.Interface(), seg.Interface()) {
			t.Errorf("%s decodes differently:\nencoding/json %+v\nsegmentio     %+v", name, std.Elem(), seg.Elem())
		}
		if fields > 0 && reflect.ValueOf(std.Elem().Interface()).IsZero() {
			t.Errorf("%s: %d fields filled, but decoded to the zero value", name, fields)
		}
	}
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// fillNonZero sets every exported field reachable from v to a value that is not
// its zero value, and returns how many it set.
func fillNonZero(v reflect.Value, depth int) int {
	if depth > 4 || !v.CanSet() {
		return 0
	}
	switch {
	case v.Type() == rawMessageType:
		v.SetBytes([]byte(`{"k":[1,"é<&>"]}`))
		return 1
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 12, 2, 17, 4, 5, 600, time.UTC)))
		return 1
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s<é>\u2028&" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-7 - int64(depth))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(9 + uint64(depth))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.25)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fillNonZero(v.Elem(), depth+1) + 1
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{0, 1, 0xfe, 0xff})
			return 1
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		n := 1
		for i := 0; i < 2; i++ {
			n += fillNonZero(v.Index(i), depth+1)
		}
		return n
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := 0; i < 2; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fillNonZero(k, depth+1)
			if k.Kind() == reflect.String {
				k.SetString(fmt.Sprintf("k%d", i))
			}
			fillNonZero(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && v.Type().Field(i).Tag.Get("json") != "-" {
				n += fillNonZero(v.Field(i), depth+1)
			}
		}
		return n
	default:
		return 0
	}
	return 1
}

// segmentio makes every map it decodes whose type is one of these with room
// for 64 entries (about 4 KiB), and each row kept it: rows and commands hold
// such maps as StringMap, which decodes into a map sized to its entries.
var presizedMapTypes = []reflect.Type{
	reflect.TypeFor[map[string]string](), reflect.TypeFor[map[string]any](), reflect.TypeFor[map[string]json.RawMessage](),
	reflect.TypeFor[map[string][]string](), reflect.TypeFor[map[string]bool](),
}

func TestNoPresizedMapsInRowsOrCommands(t *testing.T) {
	var check func(where string, typ reflect.Type, depth int)
	check = func(where string, typ reflect.Type, depth int) {
		if depth > 6 {
			return
		}
		for _, m := range presizedMapTypes {
			if typ.Kind() == reflect.Map && typ.Key() == m.Key() && typ.Elem() == m.Elem() &&
				!reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Unmarshaler]()) {
				t.Errorf("%s is a %s: segmentio decodes it with room for 64 entries; use StringMap or a type with UnmarshalJSON", where, typ)
			}
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			check(where+"[]", typ.Elem(), depth+1)
		case reflect.Struct:
			for i := 0; i < typ.NumField(); i++ {
				if f := typ.Field(i); f.IsExported() {
					check(where+"."+f.Name, f.Type, depth+1)
				}
			}
		}
	}
	for name, def := range tables {
		check("table "+name, def.typ, 0)
	}
	for ct, def := range commands {
		check(fmt.Sprintf("command %d %s", ct, def.name), def.typ, 0)
	}
}

// A command with a token's metadata decodes into a map sized to it, and
// reads back what was written, empty and null included.
func TestStringMapDecoding(t *testing.T) {
	for _, meta := range []StringMap{nil, {}, {"username": "alice", "quote\"d": "é\n"}} {
		raw, err := json.Marshal(CreateToken{Token: Token{HMAC: "h", Meta: meta}})
		if err != nil {
			t.Fatal(err)
		}
		var cmd CreateToken
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 100
		for range runs {
			cmd = CreateToken{}
			if err := segjson.Unmarshal(raw, &cmd); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		if !reflect.DeepEqual(cmd.Token.Meta, meta) {
			t.Errorf("decoded %#v, want %#v", cmd.Token.Meta, meta)
		}
		// A map presized for 64 entries alone is over 4 KiB.
		if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 2048 {
			t.Errorf("meta %v: %d bytes allocated per decode of the command", meta, perRun)
		}
	}
}
