package fsm

import (
	"encoding/json"
	"fmt"
	"reflect"
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
