package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestSize(t *testing.T) {
	for in, want := range map[string]int{
		"":                        0,
		"  \n\t\r ":               0,
		`{"a": "b c"}`:            10,
		"é\u00a0x":                2, // NBSP is whitespace too
		doc(okAll):                83,
		strings.Repeat(" a", 100): 100,
	} {
		if got := Size(in); got != want {
			t.Errorf("Size(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestCheckSize(t *testing.T) {
	over := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		q      Quota
		entity string
		docs   []string
		want   string
	}{
		{UserInlineQuota, "alice", []string{over(2048)}, ""},
		{UserInlineQuota, "alice", []string{over(2000), over(49)}, "Maximum policy size of 2048 bytes exceeded for user alice"},
		{UserInlineQuota, "alice", []string{over(2000) + strings.Repeat(" ", 100)}, ""},
		{GroupInlineQuota, "devs", []string{over(5121)}, "Maximum policy size of 5120 bytes exceeded for group devs"},
		{RoleInlineQuota, "r", []string{over(10240)}, ""},
		{RoleInlineQuota, "r", []string{over(10241)}, "Maximum policy size of 10240 bytes exceeded for role r"},
		{ManagedQuota, "", []string{over(6144)}, ""},
		{ManagedQuota, "", []string{over(6145)}, "Cannot exceed quota for PolicySize: 6144"},
		{TrustQuota, "r", []string{over(2049)}, "Cannot exceed quota for ACLSizePerRole: 2048"},
		{SessionQuota, "", []string{over(2049)}, "Packed policy consumes 101% of allotted space, please use smaller policy."},
		{SessionQuota, "", []string{over(4096)}, "Packed policy consumes 200% of allotted space, please use smaller policy."},
	}
	for _, tc := range tests {
		err := CheckSize(tc.q, tc.entity, tc.docs...)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%d: unexpected %v", tc.q, err)
			}
			continue
		}
		var lerr *LimitError
		if !errors.As(err, &lerr) || lerr.Message != tc.want || lerr.Limit != tc.q.Limit() {
			t.Errorf("%d: got %v, want %q", tc.q, err, tc.want)
		}
	}
}
