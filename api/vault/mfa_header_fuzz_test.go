package vault

import (
	"strings"
	"testing"

	"iamd/iamerr"
)

// FuzzMFAHeader feeds arbitrary X-Vault-MFA header values (the input split
// on newlines, one value per line, as repeated headers arrive) to
// parseMFAHeader. It must not panic; a refusal is an Invalid error with
// nothing returned; an accepted header gives one method/passcode pair per
// non-empty value, from which that value can be rebuilt.
func FuzzMFAHeader(f *testing.F) {
	for _, s := range []string{
		"", "totp", "totp:123456", "my_totp:passcode=123456", "5a1c8e3b-0f7e-4d56-9d1a-1f2a3b4c5d6e:000000",
		":123456", "totp:", "totp:passcode=", "a:b:c", "totp:passcode=passcode=1", "duo\ntotp:123456",
		"\n\n", "totp:123456\n:1", "totp:123456\ntotp:", "passcode=123456", " totp : 123456 ", "tö:\xff",
		"::", ":", "totp:\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		values := strings.Split(input, "\n")
		creds, given, err := parseMFAHeader(values)
		if err != nil {
			if iamerr.KindOf(err) != iamerr.Invalid || !strings.Contains(err.Error(), "X-Vault-MFA") {
				t.Fatalf("%q: refusal is not an Invalid X-Vault-MFA error: %v", input, err)
			}
			if creds != nil || given {
				t.Fatalf("%q: refused but returned %v, %v", input, creds, given)
			}
			return
		}
		var nonEmpty []string
		for _, v := range values {
			if v != "" {
				nonEmpty = append(nonEmpty, v)
			}
		}
		if len(creds) != len(nonEmpty) || given != (len(nonEmpty) > 0) {
			t.Fatalf("%q: %d values gave %d credentials (given %v)", input, len(nonEmpty), len(creds), given)
		}
		for i, c := range creds {
			v := nonEmpty[i]
			if c.Method == "" || strings.Contains(c.Method, ":") {
				t.Fatalf("%q: value %q gave method %q", input, v, c.Method)
			}
			switch {
			case !strings.Contains(v, ":"):
				if c.Method != v || c.Passcode != "" {
					t.Fatalf("%q: value without a code %q gave %+v", input, v, c)
				}
			case v != c.Method+":"+c.Passcode && v != c.Method+":passcode="+c.Passcode:
				t.Fatalf("%q: value %q does not rebuild from %+v", input, v, c)
			case v == c.Method+":":
				t.Fatalf("%q: value %q with an empty code was accepted", input, v)
			}
		}
	})
}
