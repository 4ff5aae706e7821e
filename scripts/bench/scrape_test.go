package main

import (
	"math"
	"testing"
)

func TestCycleDelta(t *testing.T) {
	for _, c := range []struct {
		before, after float64
		want          string
	}{
		{675, 675, "0"},
		{674, 676, "2"},
		{math.NaN(), 3, "?"},
		{3, math.NaN(), "?"},
	} {
		if got := cycleDelta(c.before, c.after); got != c.want {
			t.Errorf("cycleDelta(%v, %v) = %q, want %q", c.before, c.after, got, c.want)
		}
	}
}
