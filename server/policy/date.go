package policy

import (
	"strconv"
	"strings"
	"time"
)

// instant is a point in time as Date operators compare it.
type instant struct {
	sec  int64
	nsec int64
}

func (a instant) compare(b instant) int {
	switch {
	case a.sec < b.sec, a.sec == b.sec && a.nsec < b.nsec:
		return -1
	case a == b:
		return 0
	}
	return 1
}

// Year bounds moto's legacy parser enforces (those of Java's epoch millis).
const (
	minYear = -292275054
	maxYear = 292278993
)

// parseDate reads a Date operator value: epoch seconds, or ISO 8601 when
// the text has a 't' or '-' (moto's rule for telling them apart). The same
// parser validates policy values and reads request values, so what Parse
// accepts is exactly what evaluation understands.
func parseDate(s string) (instant, bool) {
	if !strings.ContainsAny(s, "tT-") {
		if !allDigits(s) || len(s) > 19 {
			return instant{}, false
		}
		v, err := strconv.ParseInt(s, 10, 64)
		return instant{sec: v}, err == nil
	}
	datePart, clock := s, ""
	if i := strings.IndexAny(s, "tT"); i >= 0 {
		datePart, clock = s[:i], s[i+1:]
	}
	y, mo, d, ok := parseCalendarDate(datePart)
	if !ok {
		return instant{}, false
	}
	h, mi, sec, nsec, off, ok := parseClock(clock)
	if !ok {
		return instant{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	return instant{sec: t.Unix() - int64(off), nsec: int64(nsec)}, true
}

// parseCalendarDate reads [-]Y[-M[-D]]; month and day default to 1.
func parseCalendarDate(s string) (y, m, d int, ok bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	ys, rest, hasMonth := strings.Cut(s, "-")
	if y, ok = number(ys, 9); !ok {
		return
	}
	if neg {
		y = -y
	}
	if y < minYear || y > maxYear {
		return 0, 0, 0, false
	}
	m, d = 1, 1
	if !hasMonth {
		return y, m, d, true
	}
	ms, ds, hasDay := strings.Cut(rest, "-")
	if m, ok = number(ms, 2); !ok || m < 1 || m > 12 {
		return 0, 0, 0, false
	}
	if !hasDay {
		return y, m, d, true
	}
	if d, ok = number(ds, 2); !ok || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// parseClock reads [HH[:MM[:SS[.fraction]]]][Z|±HH[[:]MM]] and returns the
// zone offset in seconds east of UTC.
func parseClock(s string) (h, mi, sec, nsec, off int, ok bool) {
	clock := s
	if i := strings.IndexAny(s, "zZ+-"); i >= 0 {
		clock = s[:i]
		if off, ok = parseZone(s[i:]); !ok {
			return
		}
	}
	if clock == "" {
		return 0, 0, 0, 0, off, true
	}
	hs, rest, hasMin := strings.Cut(clock, ":")
	if h, ok = number(hs, 2); !ok || h > 23 {
		return 0, 0, 0, 0, 0, false
	}
	if !hasMin {
		return h, 0, 0, 0, off, true
	}
	ms, ss, hasSec := strings.Cut(rest, ":")
	if mi, ok = number(ms, 2); !ok || mi > 59 {
		return 0, 0, 0, 0, 0, false
	}
	if !hasSec {
		return h, mi, 0, 0, off, true
	}
	if sec, nsec, ok = parseSeconds(ss); !ok {
		return 0, 0, 0, 0, 0, false
	}
	return h, mi, sec, nsec, off, true
}

func parseSeconds(s string) (sec, nsec int, ok bool) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if sec, ok = number(whole, 2); !ok || sec > 59 {
		return 0, 0, false
	}
	if !hasFrac {
		return sec, 0, true
	}
	if nsec, ok = number(frac, 9); !ok {
		return 0, 0, false
	}
	for i := len(frac); i < 9; i++ {
		nsec *= 10
	}
	return sec, nsec, true
}

func parseZone(z string) (int, bool) {
	if z == "z" || z == "Z" {
		return 0, true
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	hs, ms := z[1:], ""
	switch {
	case len(hs) == 5 && hs[2] == ':':
		hs, ms = hs[:2], hs[3:]
	case len(hs) == 4:
		hs, ms = hs[:2], hs[2:]
	}
	h, ok := number(hs, 2)
	if !ok || len(hs) != 2 || h > 23 {
		return 0, false
	}
	m := 0
	if ms != "" {
		if m, ok = number(ms, 2); !ok || len(ms) != 2 || m > 59 {
			return 0, false
		}
	}
	return sign * (h*3600 + m*60), true
}

// number parses 1..maxLen ASCII digits.
func number(s string, maxLen int) (int, bool) {
	if s == "" || len(s) > maxLen || !allDigits(s) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
