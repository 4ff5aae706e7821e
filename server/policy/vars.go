package policy

import "strings"

// parseVariable reads a policy variable at the start of s ("${...}").
// It returns a tVar token with the lower-cased key and the name as written,
// or a tLit token for the escapes ${*} ${?} ${$} and for text that is not a
// well-formed variable (AWS leaves such text alone), and how many bytes of
// s it consumed.
func parseVariable(s string) (t tok, name string, n int) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return tok{op: tLit, text: "${"}, "", 2
	}
	body := s[2:end]
	n = end + 1
	switch body {
	case "*", "?", "$":
		return tok{op: tLit, text: body}, "", n
	}
	name, def, hasDef := strings.Cut(body, ",")
	name = strings.TrimSpace(name)
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return tok{op: tLit, text: s[:n]}, "", n
		}
		def = def[1 : len(def)-1]
	}
	if name == "" || strings.ContainsAny(name, "${") {
		return tok{op: tLit, text: s[:n]}, "", n
	}
	return tok{op: tVar, text: strings.ToLower(name), def: def, hasDef: hasDef}, name, n
}

// resolve returns the value a variable stands for. Only single-valued keys
// can be substituted (AWS rejects multivalued keys as variables); the
// default applies when the key is absent.
func resolve(t *tok, ctx map[string][]string) (string, bool) {
	switch v := ctx[t.text]; len(v) {
	case 1:
		return v[0], true
	case 0:
		return t.def, t.hasDef
	}
	return "", false
}

// keySet collects the context keys a policy refers to, in first-seen
// order, deduplicated case-insensitively, for MissingContextValues.
type keySet struct {
	names []string
	lower map[string]bool
}

func (k *keySet) add(name string) {
	if k == nil {
		return
	}
	l := strings.ToLower(name)
	if k.lower[l] {
		return
	}
	if k.lower == nil {
		k.lower = map[string]bool{}
	}
	k.lower[l] = true
	k.names = append(k.names, name)
}
