package acl

import (
	"errors"
	"strings"
)

var errUnbalanced = errors.New("unbalanced templating characters")

// Resolver returns the value of a template parameter, the text between
// "{{" and "}}" with spaces trimmed, for example "identity.entity.id".
// ok is false when the token has no such value; the path is then dropped
// from the ACL, as Vault drops paths whose template cannot be filled.
type Resolver func(param string) (value string, ok bool)

// checkTemplate reports whether s holds {{...}} parameters and rejects
// unbalanced braces, the only check Vault makes when a policy is written.
func checkTemplate(s string) (bool, error) {
	pieces := strings.Split(s, "{{")
	if strings.Contains(pieces[0], "}}") {
		return false, errUnbalanced
	}
	for _, p := range pieces[1:] {
		if strings.Count(p, "}}") != 1 {
			return false, errUnbalanced
		}
	}
	return len(pieces) > 1, nil
}

// expand fills the parameters of a path checked by checkTemplate. It fails
// when a value is missing or empty, or would add a glob or a segment
// wildcard to the path.
func expand(s string, resolve Resolver) (string, bool) {
	if resolve == nil {
		return "", false
	}
	pieces := strings.Split(s, "{{")
	var b strings.Builder
	b.WriteString(pieces[0])
	for _, p := range pieces[1:] {
		param, rest, _ := strings.Cut(p, "}}")
		v, ok := resolve(strings.TrimSpace(param))
		if !ok || v == "" || strings.ContainsAny(v, "*+") {
			return "", false
		}
		b.WriteString(v)
		b.WriteString(rest)
	}
	return b.String(), true
}

// Entity is the identity a token acts for, as far as policy templates need.
type Entity struct {
	ID       string
	Name     string
	Metadata map[string]string
	Aliases  []Alias
	Groups   []Group
}

// Alias is an entity alias on one auth mount.
type Alias struct {
	MountAccessor string
	ID            string
	Name          string
	Metadata      map[string]string
}

// Group is an identity group the entity belongs to, directly or not.
type Group struct {
	ID       string
	Name     string
	Metadata map[string]string
}

// Resolve answers the template parameters Vault documents for ACL paths:
//
//	identity.entity.id, identity.entity.name, identity.entity.metadata.<key>
//	identity.entity.aliases.<mount accessor>.{id,name,metadata.<key>}
//	identity.groups.ids.<group id>.{id,name,metadata.<key>}
//	identity.groups.names.<group name>.{id,name,metadata.<key>}
//
// time.* parameters are not supported: they would make an ACL depend on the
// moment it was compiled.
func (e *Entity) Resolve(param string) (string, bool) {
	if e == nil {
		return "", false
	}
	if rest, ok := strings.CutPrefix(param, "identity.entity."); ok {
		return e.entityParam(rest)
	}
	if rest, ok := strings.CutPrefix(param, "identity.groups."); ok {
		return e.groupParam(rest)
	}
	return "", false
}

func (e *Entity) entityParam(p string) (string, bool) {
	switch {
	case p == "id":
		return e.ID, true
	case p == "name":
		return e.Name, true
	case strings.HasPrefix(p, "metadata."):
		v, ok := e.Metadata[strings.TrimPrefix(p, "metadata.")]
		return v, ok
	case strings.HasPrefix(p, "aliases."):
		accessor, field, ok := strings.Cut(strings.TrimPrefix(p, "aliases."), ".")
		if !ok {
			return "", false
		}
		for _, a := range e.Aliases {
			if a.MountAccessor == accessor {
				return fieldOf(field, a.ID, a.Name, a.Metadata)
			}
		}
	}
	return "", false
}

func (e *Entity) groupParam(p string) (string, bool) {
	selector, rest, ok := strings.Cut(p, ".")
	if !ok || selector != "ids" && selector != "names" {
		return "", false
	}
	key, field, ok := strings.Cut(rest, ".")
	if !ok {
		return "", false
	}
	for _, g := range e.Groups {
		if selector == "ids" && g.ID == key || selector == "names" && g.Name == key {
			return fieldOf(field, g.ID, g.Name, g.Metadata)
		}
	}
	return "", false
}

func fieldOf(field, id, name string, md map[string]string) (string, bool) {
	switch {
	case field == "id":
		return id, true
	case field == "name":
		return name, true
	case strings.HasPrefix(field, "metadata."):
		v, ok := md[strings.TrimPrefix(field, "metadata.")]
		return v, ok
	}
	return "", false
}
