package vault

import (
	"time"
)

// fieldReader reads several request fields and keeps the first conversion
// error, so a handler reads a whole body and checks once. Optional fields
// come back as nil pointers when absent (or JSON null), which the server
// and FSM read as "keep the stored value".
type fieldReader struct {
	r   *Request
	err error
}

func fieldsOf(r *Request) *fieldReader { return &fieldReader{r: r} }

func (f *fieldReader) keep(err error) {
	if f.err == nil {
		f.err = err
	}
}

func (f *fieldReader) present(field string) bool {
	v, ok := f.r.Data[field]
	return ok && v != nil
}

func (f *fieldReader) str(field, def string) string {
	v, err := f.r.String(field, def)
	f.keep(err)
	return v
}

func (f *fieldReader) integer(field string, def int) int {
	v, err := f.r.Int(field, def)
	f.keep(err)
	return v
}

// seconds reads a duration given as seconds or as a Go duration string.
func (f *fieldReader) seconds(field string, def int) int {
	v, err := f.r.Duration(field, time.Duration(def)*time.Second)
	f.keep(err)
	return int(v / time.Second)
}

func (f *fieldReader) optString(field string) *string {
	if !f.present(field) {
		return nil
	}
	v := f.str(field, "")
	return &v
}

func (f *fieldReader) optBool(field string) *bool {
	if !f.present(field) {
		return nil
	}
	v, err := f.r.Bool(field, false)
	f.keep(err)
	return &v
}

func (f *fieldReader) optStrings(field string) *[]string {
	if !f.present(field) {
		return nil
	}
	v, err := f.r.StringSlice(field)
	f.keep(err)
	if v == nil {
		v = []string{}
	}
	return &v
}

func (f *fieldReader) optMap(field string) *map[string]string {
	if !f.present(field) {
		return nil
	}
	v, err := f.r.StringMap(field)
	f.keep(err)
	if v == nil {
		v = map[string]string{}
	}
	return &v
}

// timestamp renders a time as Vault's identity store does (RFC 3339 with
// nanoseconds, UTC).
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// rootNamespace is the only namespace iamd has; Vault names it "root" in
// namespace_id and "" in namespace_path.
const rootNamespace = "root"
