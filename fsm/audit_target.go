package fsm

import (
	"encoding"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// Finding an audited command's target without parsing its JSON again.
//
// auditTarget reads the target from the payload's JSON; on the write path
// that was a second and third decode of every command. The inner command
// is now decoded once into its Go type, and targetOf reads the same
// top-level field from the decoded struct. It agrees with auditTarget
// because the payload is the JSON encoding of that very type (the
// proposer marshals the fsm command struct): a field's JSON name and
// string value are what the map lookup would see. Wherever that reasoning
// does not obviously hold (embedded structs, custom marshalers, ",string"
// options, a target-named field of another kind) or no top-level target is
// set (targets one level down, DecideApproval's special case), it falls
// back to auditTarget on the raw payload. audit_target_test.go checks the
// two agree for every registered command type.

type targetField struct {
	index int
	list  bool // []string, joined with ","
}

// nestedField is a top-level field that encodes as a JSON object: a
// struct, or a pointer to one (nil encodes as null: no target).
type nestedField struct {
	index int
	ptr   bool
	plan  *targetPlan
}

// targetPlan is nil when a type must use the JSON fallback. nested lists
// the object-valued fields in the order of their JSON names, as
// auditTarget visits them; nestedOK is false when some field's encoding
// could be an object the plan does not model (maps, interfaces, custom
// marshalers), and then the JSON fallback looks one level down.
type targetPlan struct {
	fields   []targetField
	nested   []nestedField
	nestedOK bool
}

func (p *targetPlan) top(v reflect.Value) string {
	for _, f := range p.fields {
		fv := v.Field(f.index)
		if !f.list {
			if s := fv.String(); s != "" {
				return s
			}
			continue
		}
		if fv.Len() > 0 {
			return strings.Join(fv.Interface().([]string), ",")
		}
	}
	return ""
}

var targetPlans sync.Map // reflect.Type -> *targetPlan

func targetOf(cmd any, payload []byte) string {
	v := reflect.ValueOf(cmd)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if p := planFor(v.Type()); p != nil {
			if s := p.top(v); s != "" {
				return s
			}
			if p.nestedOK {
				for _, n := range p.nested {
					nv := v.Field(n.index)
					if n.ptr {
						if nv.IsNil() {
							continue
						}
						nv = nv.Elem()
					}
					if s := n.plan.top(nv); s != "" {
						return s
					}
				}
				return ""
			}
		}
	}
	return auditTarget(payload)
}

func planFor(t reflect.Type) *targetPlan {
	if p, ok := targetPlans.Load(t); ok {
		return p.(*targetPlan)
	}
	p := buildPlan(t, true)
	targetPlans.Store(t, p)
	return p
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	stringSlice   = reflect.TypeFor[[]string]()
	timeType      = reflect.TypeFor[time.Time]()
)

func customJSON(t reflect.Type) bool {
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler)
}

// buildPlan models t's top-level fields, and with nested those of its
// object-valued fields too (one level, as auditTarget looks).
func buildPlan(t reflect.Type, nested bool) *targetPlan {
	if customJSON(t) {
		return nil
	}
	byName := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			return nil // promoted fields: leave JSON's rules to encoding/json
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "string") {
			return nil
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := byName[name]; dup || name == "Approve" {
			return nil
		}
		byName[name] = i
	}
	p := &targetPlan{nestedOK: nested}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !nested {
			break
		}
		ft := t.Field(byName[name]).Type
		ptr := ft.Kind() == reflect.Pointer
		if ptr {
			ft = ft.Elem()
		}
		switch {
		case ft == timeType:
		case customJSON(ft) || ft.Kind() == reflect.Map || ft.Kind() == reflect.Interface || ft.Kind() == reflect.Pointer:
			p.nestedOK = false
		case ft.Kind() == reflect.Struct:
			np := buildPlan(ft, false)
			if np == nil {
				p.nestedOK = false
				continue
			}
			p.nested = append(p.nested, nestedField{index: byName[name], ptr: ptr, plan: np})
		}
	}
	for _, k := range targetKeys {
		i, ok := byName[k]
		if !ok {
			continue
		}
		ft := t.Field(i).Type
		switch {
		case customJSON(ft):
			return nil
		case ft.Kind() == reflect.String:
			p.fields = append(p.fields, targetField{index: i})
		case ft == stringSlice:
			p.fields = append(p.fields, targetField{index: i, list: true})
		default:
			return nil
		}
	}
	return p
}
