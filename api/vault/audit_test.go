package vault_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
	"iamd/fsm"
)

type auditLine struct {
	Seq       uint64 `json:"seq"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	Result    string `json:"result"`
	Error     string `json:"error"`
	Principal string `json:"principal"`
	RequestID string `json:"request_id"`
	SourceIP  string `json:"source_ip"`
	TokenHMAC string `json:"token_hmac"`
	Node      string `json:"node"`
}

func readAuditLog(t *testing.T, c *vaultapi.Client, query map[string][]string) ([]auditLine, map[string]any) {
	t.Helper()
	s, err := c.Logical().ReadWithData("sys/audit-log", query)
	if err != nil {
		t.Fatalf("read sys/audit-log: %v", err)
	}
	raw, _ := json.Marshal(s.Data["entries"])
	var out []auditLine
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out, s.Data
}

func countActions(lines []auditLine) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		n[l.Action]++
	}
	return n
}

func enableFileAudit(t *testing.T, c *vaultapi.Client) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "audit.log")
	err := c.Sys().EnableAuditWithOptions("file", &vaultapi.EnableAuditOptions{
		Type: "file", Description: "test", Options: map[string]string{"file_path": file},
	})
	if err != nil {
		t.Fatalf("enable audit: %v", err)
	}
	return file
}

func TestAuditLogRecordsEachActionClassOnce(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	file := enableFileAudit(t, c)

	audits, err := c.Sys().ListAudit()
	if err != nil || audits["file/"] == nil || audits["file/"].Options["file_path"] != file {
		t.Fatalf("list audit = %v, %v", audits, err)
	}
	child, err := c.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"default"}})
	if err != nil {
		t.Fatal(err)
	}
	secret := child.Auth.ClientToken
	if err := c.Sys().PutPolicy("ops", `path "sys/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	if err := c.Sys().PutPolicy("ops", `path "auth/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	entity := idCreateEntity(t, c, "alice")
	idCreateTOTP(t, c, map[string]any{"issuer": "iamd"})
	idEnableUserpass(t, c, "userpass")
	// The child token acts too: its entries name it, not root.
	cc := d.VaultClient(t, secret)
	if err := cc.Auth().Token().RevokeSelf(""); err != nil {
		t.Fatal(err)
	}

	lines, data := readAuditLog(t, c, nil)
	got := countActions(lines)
	for action, want := range map[string]int{
		"audit.device.enable": 1, "token.create": 1, "policy.write": 2, "identity.entity.write": 1,
		"mfa.method.write": 1, "auth.enable": 1, "token.revoke": 1,
	} {
		if got[action] != want {
			t.Errorf("action %s: %d entries, want %d (all: %v)", action, got[action], want, got)
		}
	}
	var sawEntity, sawChild, sawCreateID bool
	for _, l := range lines[1:] { // lines[0] is cluster.init, from no request
		if l.RequestID == "" || l.SourceIP != "127.0.0.1" || l.Node != "dev" || l.TokenHMAC == "" {
			t.Errorf("entry lacks request metadata: %+v", l)
		}
		switch {
		case l.Action == "identity.entity.write":
			sawEntity = l.Target == "alice" && l.Principal == "root"
		case l.Action == "token.revoke":
			sawChild = l.Principal == "token" && l.Result == "success"
		case l.Action == "token.create":
			// The entry carries the request_id the answer reported.
			sawCreateID = l.RequestID == child.RequestID
		}
	}
	if lines[0].Action != "cluster.init" || !sawEntity || !sawChild || !sawCreateID {
		t.Errorf("entity=%v child=%v create request_id=%v (%s) in %+v", sawEntity, sawChild, sawCreateID, child.RequestID, lines)
	}
	if entity == "" {
		t.Fatal("no entity id")
	}

	// The file holds the same chain, no token in clear, and verifies.
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte(secret)) {
		t.Fatal("audit file holds a token in clear")
	}
	rep, err := fsm.VerifyAuditLog(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if rep.HeadHash != data["head_hash"] {
		t.Fatalf("file head %s, log head %v", rep.HeadHash, data["head_hash"])
	}
	// The HMAC shown is sys/audit-hash's.
	h, err := c.Logical().Write("sys/audit-hash/file", map[string]any{"input": secret})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines {
		found = found || l.TokenHMAC == h.Data["hash"]
	}
	if !found {
		t.Fatalf("no entry carries the child token's audit hash %v", h.Data["hash"])
	}
}

func TestAuditVerifierDetectsTampering(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	file := enableFileAudit(t, c)
	for _, name := range []string{"a", "b", "c", "d"} {
		if err := c.Sys().PutPolicy(name, `path "x" { capabilities = ["read"] }`); err != nil {
			t.Fatal(err)
		}
	}
	body, _ := os.ReadFile(file)
	lines := strings.SplitAfter(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines) < 4 {
		t.Fatalf("only %d lines", len(lines))
	}
	if _, err := fsm.VerifyAuditLog(strings.NewReader(string(body))); err != nil {
		t.Fatalf("intact file refused: %v", err)
	}
	removed := strings.Join(append(append([]string{}, lines[:2]...), lines[3:]...), "")
	if _, err := fsm.VerifyAuditLog(strings.NewReader(removed)); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("removed line not detected: %v", err)
	}
	altered := strings.Replace(string(body), `"target":"b"`, `"target":"z"`, 1)
	if altered == string(body) {
		t.Fatal("test did not alter anything")
	}
	if _, err := fsm.VerifyAuditLog(strings.NewReader(altered)); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("altered line not detected: %v", err)
	}
	swapped := lines[0] + lines[2] + lines[1] + strings.Join(lines[3:], "")
	if _, err := fsm.VerifyAuditLog(strings.NewReader(swapped)); err == nil {
		t.Fatal("reordered lines not detected")
	}
}

func TestAuditLogFiltersAndPages(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	for _, name := range []string{"p1", "p2", "p3"} {
		if err := c.Sys().PutPolicy(name, `path "x" { capabilities = ["read"] }`); err != nil {
			t.Fatal(err)
		}
	}
	lines, data := readAuditLog(t, c, map[string][]string{"action": {"policy.write"}, "limit": {"2"}})
	if len(lines) != 2 || lines[0].Target != "p1" || data["next_after"] == nil {
		t.Fatalf("page 1 = %+v, %v", lines, data["next_after"])
	}
	lines, data = readAuditLog(t, c, map[string][]string{"action": {"policy."}, "after": {data["next_after"].(string)}})
	if len(lines) != 1 || lines[0].Target != "p3" || data["next_after"] != nil {
		t.Fatalf("page 2 = %+v, %v", lines, data["next_after"])
	}
	if lines, _ := readAuditLog(t, c, map[string][]string{"principal": {"nobody"}}); len(lines) != 0 {
		t.Fatalf("principal filter kept %+v", lines)
	}
	if lines, _ := readAuditLog(t, c, map[string][]string{"until": {"2000-01-01T00:00:00Z"}}); len(lines) != 0 {
		t.Fatalf("until filter kept %+v", lines)
	}
	if lines, _ := readAuditLog(t, c, map[string][]string{"since": {"2000-01-01T00:00:00Z"}, "principal": {"root"}}); len(lines) < 3 {
		t.Fatalf("since filter dropped entries: %+v", lines)
	}
	if _, err := c.Logical().ReadWithData("sys/audit-log", map[string][]string{"limit": {"0"}}); err == nil {
		t.Fatal("limit 0 accepted")
	}
	if _, err := c.Logical().ReadWithData("sys/audit-log", map[string][]string{"since": {"yesterday"}}); err == nil {
		t.Fatal("bad since accepted")
	}
}

func TestAuditSwitchIsItselfLogged(t *testing.T) {
	d := apitest.StartDev(t)
	c := d.VaultClient(t, d.RootToken)
	idWrite(t, c, "sys/security/admin-log/config", map[string]any{"enabled": false})
	if err := c.Sys().PutPolicy("hidden", `path "x" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	idWrite(t, c, "sys/security/admin-log/config", map[string]any{"enabled": true})
	if err := c.Sys().PutPolicy("shown", `path "x" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	if cfg := idRead(t, c, "sys/security/admin-log/config"); cfg["enabled"] != true {
		t.Fatalf("config = %v", cfg)
	}
	lines, _ := readAuditLog(t, c, nil)
	var targets []string
	switches := 0
	for _, l := range lines {
		if l.Action == "policy.write" {
			targets = append(targets, l.Target)
		}
		if l.Action == "account.security.update" {
			switches++
		}
	}
	if switches != 2 || len(targets) != 1 || targets[0] != "shown" {
		t.Fatalf("switches %d, policy entries %v", switches, targets)
	}
}
