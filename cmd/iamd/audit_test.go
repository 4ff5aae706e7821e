package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iamd/fsm"
)

func writeChain(t *testing.T, n int) (string, []string) {
	t.Helper()
	var lines []string
	prev := ""
	for i := 1; i <= n; i++ {
		e := &fsm.AuditEntry{Seq: uint64(i), Time: time.Unix(int64(i), 0).UTC(), Action: "policy.write",
			Target: "p" + string(rune('a'+i)), Result: "success", Prev: prev}
		e.Hash = fsm.AuditEntryHash(e)
		prev = e.Hash
		raw, _ := json.Marshal(e)
		lines = append(lines, string(raw)+"\n")
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, lines
}

func TestAuditVerifyExitCodes(t *testing.T) {
	path, lines := writeChain(t, 4)
	if rc := runAuditVerify([]string{path}); rc != 0 {
		t.Fatalf("intact chain: exit %d", rc)
	}
	if rc := runAuditVerify([]string{"-head=deadbeef", path}); rc != 2 {
		t.Fatalf("wrong head: exit %d", rc)
	}
	cut := strings.Join(append(append([]string{}, lines[:1]...), lines[2:]...), "")
	os.WriteFile(path, []byte(cut), 0o600)
	if rc := runAuditVerify([]string{path}); rc != 2 {
		t.Fatalf("removed line: exit %d", rc)
	}
	os.WriteFile(path, []byte(strings.Replace(strings.Join(lines, ""), `"pc"`, `"px"`, 1)), 0o600)
	if rc := runAuditVerify([]string{path}); rc != 2 {
		t.Fatalf("altered line: exit %d", rc)
	}
	if rc := runAuditVerify([]string{filepath.Join(t.TempDir(), "missing")}); rc != 1 {
		t.Fatalf("missing file: exit %d", rc)
	}
}
