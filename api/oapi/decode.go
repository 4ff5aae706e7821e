package oapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// decode reads the body into v strictly: unknown fields and wrong types
// are errors (3001, 4110). Every input struct has a DryRun field.
func (r *request) decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return invalidValueCode("4110", "The request body holds more than one JSON value")
	}
	return nil
}

// Date is OUTSCALE's date-time layout: millis and an offset without colon.
const dateLayout = "2006-01-02T15:04:05.000-0700"

func formatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

// dateLayouts are the ISO 8601 forms accepted for ExpirationDate: a date
// alone means midnight UTC.
var dateLayouts = []string{
	time.RFC3339Nano, dateLayout, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000Z0700",
	"2006-01-02T15:04:05", "2006-01-02T15:04:05.000", "2006-01-02",
}

// parseDate reads an ExpirationDate; code is the error code of a bad one
// (4047 on create, 4123 on update).
func parseDate(s, code string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, invalidValueCode(code, "ExpirationDate %q is not an ISO 8601 date or date-time (for example 2063-04-05 or 2063-04-05T12:00:00.000+0000)", s)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func list(p *[]string) []string {
	if p == nil {
		return []string{}
	}
	return *p
}

// anyIn reports whether a filter list is absent or shares an item with
// values.
func anyIn(filter *[]string, values ...string) bool {
	if filter == nil || len(*filter) == 0 {
		return true
	}
	for _, f := range *filter {
		for _, v := range values {
			if f == v {
				return true
			}
		}
	}
	return false
}
