package server

import (
	"regexp"
	"testing"

	uuid "github.com/hashicorp/go-uuid"
)

// Request ids keep go-uuid's shape (Vault's request_id, the AWS RequestId):
// lowercase hex 8-4-4-4-12 that go-uuid parses back to the same 16 bytes,
// with the version 4 and RFC 4122 variant bits AWS's RequestId has.
func TestNewRequestIDFormat(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewRequestID()
		if !shape.MatchString(id) {
			t.Fatalf("request id %q is not a lowercase hex version 4 UUID", id)
		}
		b, err := uuid.ParseUUID(id)
		if err != nil {
			t.Fatalf("go-uuid cannot parse %q: %v", id, err)
		}
		if back, _ := uuid.FormatUUID(b); back != id {
			t.Fatalf("go-uuid formats %q back as %q", id, back)
		}
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}
