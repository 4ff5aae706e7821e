package testport

import "testing"

// A process must not hand out the same port twice while its block lasts:
// a node that has just stopped may leave its port in TIME_WAIT, or the
// next test's node would bind an address an earlier node still uses.
func TestAddrNeverRepeatsWithinAProcess(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		a := Addr(t)
		if seen[a] {
			t.Fatalf("call %d: %s handed out twice", i, a)
		}
		seen[a] = true
	}
}
