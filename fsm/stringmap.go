package fsm

import "encoding/json"

// StringMap is a map[string]string as rows and commands hold it: token
// metadata, mount and audit device options, identity metadata. It exists
// for its decoding. segmentio's decoder, which reads every command and
// snapshot row, makes each plain map[string]string with room for 64
// entries, about 4 KiB that every stored token then kept, even with no
// metadata at all (BenchmarkCreateTokens: 6.3 KB of heap per token
// instead of 1.4-1.7, and twice the CPU per apply).
type StringMap map[string]string

// UnmarshalJSON decodes with encoding/json, whose maps grow with their
// entries.
func (m *StringMap) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = nil
		return nil
	}
	var v map[string]string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = v
	return nil
}
