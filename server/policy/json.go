package policy

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// jnode is a decoded JSON value that remembers where it sits in the
// document. encoding/json's Unmarshal would lose member order and byte
// offsets, which MatchedStatements (Start/EndPosition) and moto's rule order
// need; so the tree is built from the Decoder's token stream instead.
type jnode struct {
	kind  jkind
	text  string   // string value, or a number's literal text
	b     bool     // bool value
	keys  []string // object member names, first-seen order
	elems []*jnode // object member values (parallel to keys) or array items
	start int      // byte offset of the value's first byte
	end   int      // byte offset just past the value
}

type jkind uint8

const (
	jObject jkind = iota
	jArray
	jString
	jNumber
	jBool
	jNull
)

var errJSON = errors.New("policy: invalid JSON")

// maxDepth bounds nesting. A valid policy nests six levels deep
// (document, Statement list, statement, Condition, operator, value list);
// the bound keeps recursion, and so stack use, independent of the input.
const maxDepth = 32

// parseJSON decodes exactly one JSON value from doc. Duplicate object keys
// keep the last value, as Python's json.loads (and so moto and AWS) does.
func parseJSON(doc string) (*jnode, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	n, err := readValue(dec, doc, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errJSON // trailing data after the document
	}
	return n, nil
}

func readValue(dec *json.Decoder, doc string, depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, errJSON
	}
	start := skipSeparators(doc, int(dec.InputOffset()))
	tok, err := dec.Token()
	if err != nil {
		return nil, errJSON
	}
	n := &jnode{start: start}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			err = readObject(dec, doc, n, depth)
		case '[':
			err = readArray(dec, doc, n, depth)
		default:
			err = errJSON
		}
	case string:
		n.kind, n.text = jString, t
	case json.Number:
		n.kind, n.text = jNumber, string(t)
	case bool:
		n.kind, n.b = jBool, t
	case nil:
		n.kind = jNull
	}
	if err != nil {
		return nil, err
	}
	n.end = int(dec.InputOffset())
	return n, nil
}

func readObject(dec *json.Decoder, doc string, n *jnode, depth int) error {
	n.kind = jObject
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errJSON
		}
		key, ok := tok.(string)
		if !ok {
			return errJSON
		}
		v, err := readValue(dec, doc, depth+1)
		if err != nil {
			return err
		}
		if i := n.index(key); i >= 0 {
			n.elems[i] = v
			continue
		}
		n.keys = append(n.keys, key)
		n.elems = append(n.elems, v)
	}
	return closeDelim(dec, '}')
}

func readArray(dec *json.Decoder, doc string, n *jnode, depth int) error {
	n.kind = jArray
	for dec.More() {
		v, err := readValue(dec, doc, depth+1)
		if err != nil {
			return err
		}
		n.elems = append(n.elems, v)
	}
	return closeDelim(dec, ']')
}

func closeDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil || tok != want {
		return errJSON
	}
	return nil
}

// skipSeparators moves off past the whitespace, ',' and ':' that the
// Decoder has not consumed yet, to the first byte of the next value.
func skipSeparators(doc string, off int) int {
	for off < len(doc) {
		switch doc[off] {
		case ' ', '\t', '\n', '\r', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (n *jnode) index(key string) int {
	for i, k := range n.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// get returns the member named key of an object node, or nil.
func (n *jnode) get(key string) *jnode {
	if n == nil || n.kind != jObject {
		return nil
	}
	if i := n.index(key); i >= 0 {
		return n.elems[i]
	}
	return nil
}

func (n *jnode) has(key string) bool { return n.get(key) != nil }

// isStringOrStrings reports whether n is a string or an array of strings,
// the shape of Action, Resource and principal values.
func (n *jnode) isStringOrStrings() bool {
	if n.kind == jString {
		return true
	}
	if n.kind != jArray {
		return false
	}
	for _, e := range n.elems {
		if e.kind != jString {
			return false
		}
	}
	return true
}

// strings returns a scalar as one value, or an array's items, as text.
func (n *jnode) strings() []string {
	if n.kind != jArray {
		return []string{n.scalarText()}
	}
	out := make([]string, 0, len(n.elems))
	for _, e := range n.elems {
		out = append(out, e.scalarText())
	}
	return out
}

// scalarText renders a condition value as the string AWS compares:
// JSON true/false become "true"/"false", numbers keep their literal text.
func (n *jnode) scalarText() string {
	switch n.kind {
	case jBool:
		if n.b {
			return "true"
		}
		return "false"
	case jString, jNumber:
		return n.text
	}
	return ""
}

// isEmptyList reports whether n is the JSON array [].
func (n *jnode) isEmptyList() bool { return n.kind == jArray && len(n.elems) == 0 }
