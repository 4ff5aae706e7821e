package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseStat reads the fields the scale phase reports from a stat line
// whose command name holds spaces and parentheses, and from this process.
func TestParseStat(t *testing.T) {
	line := "12345 (iamd (node) 4) S 1 12345 12345 0 -1 4194560 5000 7 2 0 250 120 3 4 20 0 8 0 100 4096 300\n"
	want := usage{user: 2500 * time.Millisecond, system: 1200 * time.Millisecond, minorFaults: 5000}
	if got := parseStat(line); got != want {
		t.Fatalf("parseStat = %+v, want %+v", got, want)
	}
	if got := parseStat("12345 (iamd) S 1 2"); got != (usage{}) {
		t.Fatalf("a short line gives %+v, want nothing", got)
	}

	// This process has faulted pages in and, after a busy loop, used CPU.
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
	}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if u := parseStat(string(b)); u.minorFaults == 0 || u.user+u.system == 0 {
		t.Fatalf("this process: %+v", u)
	}
}

func TestSelectedMode(t *testing.T) {
	modes := []string{"always", "madvise", "never"}
	for i, mode := range modes {
		words := slices.Clone(modes)
		words[i] = "[" + mode + "]"
		if got := selectedMode(strings.Join(words, " ") + "\n"); got != mode {
			t.Errorf("selectedMode(%q) = %q", words, got)
		}
	}
	for _, bad := range []string{"always madvise never", "", "always [madvise"} {
		if got := selectedMode(bad); got != "?" {
			t.Errorf("selectedMode(%q) = %q, want ?", bad, got)
		}
	}
}
