package policy

import "strings"

// arnSegments is the number of colon-separated parts of an ARN; the last
// (the resource) may itself contain colons.
const arnSegments = 6

// compileArn compiles an ArnEquals/ArnLike value. AWS matches such values
// segment by segment, so a `*` cannot stretch across a colon except in the
// resource segment. A value with fewer than six segments ("*", say) is
// matched as one glob over the whole ARN.
func compileArn(r string, seen *keySet) (pattern, []pattern) {
	opts := patternOpts{wild: true, vars: true}
	parts := splitArnPattern(r)
	if len(parts) < arnSegments {
		return compilePattern(r, opts, seen), nil
	}
	segs := make([]pattern, arnSegments)
	for i, p := range parts {
		segs[i] = compilePattern(p, opts, seen)
	}
	return pattern{}, segs
}

// splitArnPattern splits at most arnSegments-1 times at colons that are
// not inside a policy variable, since "${aws:username}" contains one.
func splitArnPattern(r string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(r) && len(parts) < arnSegments-1; i++ {
		if strings.HasPrefix(r[i:], "${") {
			if end := strings.IndexByte(r[i:], '}'); end > 0 {
				i += end
				continue
			}
		}
		if r[i] == ':' {
			parts = append(parts, r[start:i])
			start = i + 1
		}
	}
	return append(parts, r[start:])
}

func matchArn(v *cvalue, r string, ctx map[string][]string) bool {
	if v.segs == nil {
		return v.pat.match(r, ctx)
	}
	rest := r
	for i := 0; i < arnSegments-1; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 || !v.segs[i].match(rest[:j], ctx) {
			return false
		}
		rest = rest[j+1:]
	}
	return v.segs[arnSegments-1].match(rest, ctx)
}

// arnAccount returns the account segment (the fifth) of an ARN, or "".
func arnAccount(arn string) string {
	rest := arn
	for i := 0; i < 4; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return ""
		}
		rest = rest[j+1:]
	}
	if j := strings.IndexByte(rest, ':'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// isAccountID reports whether s is a 12-digit AWS account ID.
func isAccountID(s string) bool { return len(s) == 12 && allDigits(s) }
