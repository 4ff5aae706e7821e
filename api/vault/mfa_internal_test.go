package vault

import (
	"bytes"
	"encoding/json"
	"testing"

	"iamd/fsm"
)

// A LIST's key_info entries (enforcementInfo) are written with the same
// bytes as a read's data (enforcementData), whatever lists are set.
func TestEnforcementInfoMatchesEnforcementData(t *testing.T) {
	for _, e := range []*fsm.LoginEnforcement{
		{Name: "e", ID: "id"},
		{Name: "<corp & co>", ID: "\"x\"", MFAMethodIDs: []string{"m1", "m2"}, AuthMethodAccessors: []string{"auth_userpass_1"},
			AuthMethodTypes: []string{"userpass"}, IdentityGroupIDs: []string{"g"}, IdentityEntityIDs: []string{"é", "\u2028"}},
		{Name: "empty lists", MFAMethodIDs: []string{}, IdentityGroupIDs: []string{}},
	} {
		want, err := json.Marshal(enforcementData(e))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(enforcementInfoOf(e))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\nstruct: %s\nmap:    %s", e.Name, got, want)
		}
	}
}
