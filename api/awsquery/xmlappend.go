package awsquery

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Hand-written XML for the hottest answers (GetUser, CreateUser, ListUsers,
// GetGroup): encoding/xml's reflection was about a tenth of a signed
// GetUser's CPU on the node. Each appendXML writes exactly the bytes
// encoding/xml writes for the same value, so either path may answer;
// xmlappend_test.go compares the two on awkward values.

// xmlAppender is a result that writes its own XML: the children of
// <{Action}Result>. An error (a date encoding/xml cannot write either)
// sends the answer through encoding/xml, which reports it.
type xmlAppender interface {
	appendXML(b []byte) ([]byte, error)
}

func (r userResult) appendXML(b []byte) ([]byte, error) {
	b = append(b, "<User>"...)
	b, err := r.User.appendXML(b)
	return append(b, "</User>"...), err
}

func (r listUsersResult) appendXML(b []byte) ([]byte, error) {
	b, err := appendUsers(b, r.Users)
	return appendPageEnd(b, r.IsTruncated, r.Marker), err
}

func (r getGroupResult) appendXML(b []byte) ([]byte, error) {
	b = append(b, "<Group>"...)
	b, err := r.Group.appendXML(b)
	if err != nil {
		return b, err
	}
	b = append(b, "</Group>"...)
	b, err = appendUsers(b, r.Users)
	return appendPageEnd(b, r.IsTruncated, r.Marker), err
}

// appendXML writes the fields of a User element, as tagged on UserXML.
func (u *UserXML) appendXML(b []byte) ([]byte, error) {
	b = appendOptElem(b, "Path", u.Path)
	b = appendOptElem(b, "UserName", u.UserName)
	b = appendElem(b, "UserId", u.UserID)
	b = appendElem(b, "Arn", u.Arn)
	b, err := appendTimeElem(b, "CreateDate", u.CreateDate)
	if err != nil {
		return b, err
	}
	if len(u.Tags) > 0 { // omitempty
		b = append(b, "<Tags>"...)
		for i := range u.Tags {
			b = append(b, "<member>"...)
			b = appendElem(b, "Key", u.Tags[i].Key)
			b = appendElem(b, "Value", u.Tags[i].Value)
			b = append(b, "</member>"...)
		}
		b = append(b, "</Tags>"...)
	}
	return b, nil
}

// appendXML writes the fields of a Group element, as tagged on GroupXML.
func (g *GroupXML) appendXML(b []byte) ([]byte, error) {
	b = appendElem(b, "Path", g.Path)
	b = appendElem(b, "GroupName", g.GroupName)
	b = appendElem(b, "GroupId", g.GroupID)
	b = appendElem(b, "Arn", g.Arn)
	return appendTimeElem(b, "CreateDate", g.CreateDate)
}

// appendUsers writes a required Users list (written even when empty).
func appendUsers(b []byte, users List[UserXML]) ([]byte, error) {
	b = append(b, "<Users>"...)
	for i := range users {
		b = append(b, "<member>"...)
		var err error
		if b, err = users[i].appendXML(b); err != nil {
			return b, err
		}
		b = append(b, "</member>"...)
	}
	return append(b, "</Users>"...), nil
}

// appendPageEnd writes the IsTruncated and optional Marker of a page.
func appendPageEnd(b []byte, truncated bool, marker string) []byte {
	b = append(b, "<IsTruncated>"...)
	b = strconv.AppendBool(b, truncated)
	b = append(b, "</IsTruncated>"...)
	return appendOptElem(b, "Marker", marker)
}

// appendElem writes <name>text</name> with text escaped.
func appendElem(b []byte, name, text string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendTimeElem writes a time element the way encoding/xml writes a
// TextMarshaler: its AppendText bytes, which need no escaping (RFC 3339).
func appendTimeElem(b []byte, name string, t time.Time) ([]byte, error) {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b, err := t.AppendText(b)
	if err != nil {
		return b, err
	}
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>'), nil
}

// appendOptElem is appendElem for an omitempty string: nothing when empty.
func appendOptElem(b []byte, name, text string) []byte {
	if text == "" {
		return b
	}
	return appendElem(b, name, text)
}

// appendEscaped writes s as XML character data the way encoding/xml does:
// the five markup characters and tab, newline and carriage return as
// character references, and anything that is not an XML character
// (control bytes, invalid UTF-8, U+FFFE) as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>' {
			i++ // the common case: plain ASCII
			continue
		}
		r, width := rune(c), 1
		if c >= utf8.RuneSelf {
			r, width = utf8.DecodeRuneInString(s[i:])
		}
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if !isXMLChar(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
				break
			}
			i += width
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

// isXMLChar reports whether r is in XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
