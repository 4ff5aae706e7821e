package server

import (
	"fmt"
	"strconv"
	"testing"
)

// FuzzCanonicalCode checks the TOTP code check used by login MFA (with the
// method's digits) and by IAM MFA devices (6 digits): never a panic, and a
// code is accepted exactly when it is the configured number of ASCII
// digits: no sign, space, padding, other script's digits or trailing
// newline.
func FuzzCanonicalCode(f *testing.F) {
	for _, s := range []string{
		"123456", "000000", "12345678", "12345", "1234567", " 123456", "123456 ", "123456\n", "+12345",
		"-12345", "12 456", "0x1234", "1e5000", "١٢٣٤٥٦", "１２３４５６", "12345\x00", "12345٦", "",
		"９９９９９９", "12.456", "\xff\xfe\xfd\xfc\xfb\xfa",
	} {
		for _, digits := range []int{6, 8, 0, -1} {
			f.Add(s, digits)
		}
	}
	f.Fuzz(func(t *testing.T, code string, digits int) {
		got := canonicalCode(code, digits)
		if digits == 6 || digits == 8 {
			// The configured lengths also go through the check a second
			// way: a number of that width printed back with its padding.
			n, err := strconv.ParseUint(code, 10, 64)
			want := err == nil && len(code) == digits && fmt.Sprintf("%0*d", digits, n) == code
			if got != want {
				t.Fatalf("canonicalCode(%q, %d) = %v, want %v", code, digits, got, want)
			}
		}
		if !got {
			return
		}
		if len(code) != digits {
			t.Fatalf("canonicalCode(%q, %d) accepted %d bytes", code, digits, len(code))
		}
		for i := 0; i < len(code); i++ {
			if code[i] < '0' || code[i] > '9' {
				t.Fatalf("canonicalCode(%q, %d) accepted byte %q", code, digits, code[i])
			}
		}
	})
}
