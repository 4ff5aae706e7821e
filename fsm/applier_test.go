package fsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"iamd/iamerr"
)

// cmdWriteThenFail is a test-only command that writes a row and then
// fails, so its row must be rolled back. (Real commands check before they
// write; the approval carry-out in the script below is the real case.)
const cmdWriteThenFail CommandType = 65000

type writeThenFail struct{ Key string }

func registerWriteThenFail(t *testing.T) {
	register(cmdWriteThenFail, "test-write-then-fail", func(tx *txn, env Env, cmd *writeThenFail) (any, error) {
		if err := insert(tx, tableMUAConfig, &MUAConfig{AccountID: cmd.Key}); err != nil {
			return nil, err
		}
		return nil, iamerr.New(iamerr.Invalid, "refused after writing %s", cmd.Key)
	})
	t.Cleanup(func() { delete(commands, cmdWriteThenFail) })
}

// groupCommitScript is a log that ends entries in every way Apply can:
// success, refusals that wrote nothing, failures that wrote before failing
// (plain, audited, and an approved command that fails when carried out),
// commands held for approval, a refused TOTP code that still counts,
// audit switched off and on and a file device enabled and disabled in the
// middle, an audit event, entries that do not decode, and raft's own
// entries.
func groupCommitScript(t *testing.T, auditFile string) []*raft.Log {
	const acct = "123456789012"
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var logs []*raft.Log
	add := func(data []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogCommand, Data: data})
	}
	audited := func(ct CommandType, cmd any, approvalID string) {
		t.Helper()
		meta := AuditMeta{Time: at.Add(time.Duration(len(logs)) * time.Second), Node: "n1", RequestID: fmt.Sprintf("r%d", len(logs)),
			Principal: "root", ApprovalID: approvalID}
		add(EncodeAudited(ct, cmd, meta))
	}
	user := func(name string) IAMUser {
		return IAMUser{AccountID: acct, UserID: "AIDA" + strings.ToUpper(name), UserName: name, Path: "/", CreateDate: at}
	}
	del := func(name string) DeleteUser {
		return DeleteUser{AccountID: acct, UserID: "AIDA" + strings.ToUpper(name), Name: name}
	}
	sealed := []byte{9, 9, 9}
	attempt := func(step int64) MFAAttempt {
		return MFAAttempt{MethodID: "m1", EntityID: "e1", Passcode: true, Canonical: true, Step: step, SecretDigest: SecretDigest(sealed)}
	}
	no := false
	yes := true

	add(Encode(CmdInitCluster, InitCluster{ClusterID: "c1", ClusterName: "test", Time: at,
		RootToken: Token{HMAC: "hroot", Accessor: "acc-root", Policies: []string{"root"}, Orphan: true, CreationTime: at},
		Account:   Account{ID: acct, Name: "default", CreatedAt: at},
		RootKey:   AccessKey{AccessKeyID: "AKIAROOT", AccountID: acct, Status: "Active", SecretCiphertext: []byte{1}}}))
	audited(CmdPutMFAMethod, PutMFAMethod{Create: true, Method: MFAMethod{ID: "m1", Name: "corp", Type: "totp",
		TOTP: TOTPSettings{Issuer: "i", Period: 30, Digits: 6, Skew: 1, KeySize: 20, MaxValidationAttempts: 5}}}, "")
	audited(CmdUpsertEntity, UpsertEntity{Name: "contact", NewID: "e1", Time: at}, "")
	audited(CmdPutTOTPSecret, PutTOTPSecret{EntityID: "e1", MethodID: "m1", Sealed: sealed}, "")
	audited(CmdCreateUser, CreateUser{User: user("alice")}, "")
	audited(CmdCreateUser, CreateUser{User: user("alice")}, "") // exists: refused, nothing written
	audited(CmdEnableAuditDevice, EnableAuditDevice{Device: AuditDevice{Path: "file/", Type: "file",
		Options: map[string]string{"file_path": auditFile}}}, "")
	audited(CmdCreateUser, CreateUser{User: user("bob")}, "")
	audited(CmdCreateAccessKey, CreateAccessKey{UserName: "bob", Key: AccessKey{AccessKeyID: "AKIABOB", AccountID: acct,
		UserID: "AIDABOB", Status: "Active", SecretCiphertext: []byte{2}, CreateDate: at}}, "")
	// Key uses are kept beside memdb until the commit: the failure next
	// rolls a batch back and applies these again.
	add(Encode(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIABOB": {Time: at.Add(time.Minute), Service: "iam"},
		"AKIAROOT": {Time: at, Service: "sts"}, "AKIANONE": {Time: at}}}))
	add(Encode(cmdWriteThenFail, writeThenFail{Key: "plain"}))
	audited(cmdWriteThenFail, writeThenFail{Key: "audited"}, "")
	audited(CmdPutMUAConfig, PutMUAConfig{Config: MUAConfig{Enabled: true,
		Contacts: []MUAContact{{EntityID: "e1", Activities: []string{"delete_user"}}}}}, "")
	audited(CmdDeleteUser, del("bob"), "ap-bob")     // held
	audited(CmdDeleteUser, del("alice"), "ap-alice") // held
	// Approved, but bob still has a key: the carry-out fails after the
	// decision and the TOTP attempt were written.
	audited(CmdDecideApproval, DecideApproval{ID: "ap-bob", EntityID: "e1", Approve: true, Time: at.Add(time.Hour), Attempt: attempt(100)}, "")
	audited(CmdDecideApproval, DecideApproval{ID: "ap-alice", EntityID: "e1", Approve: true, Time: at.Add(time.Hour), Attempt: attempt(0)}, "")
	audited(CmdDecideApproval, DecideApproval{ID: "ap-alice", EntityID: "e1", Approve: true, Time: at.Add(time.Hour), Attempt: attempt(101)}, "")
	audited(CmdPutAccountSecurity, PutAccountSecurity{AuditEnabled: &no}, "")
	audited(CmdCreateUser, CreateUser{User: user("carol")}, "") // not logged
	audited(cmdWriteThenFail, writeThenFail{Key: "unlogged"}, "")
	audited(CmdPutAccountSecurity, PutAccountSecurity{AuditEnabled: &yes}, "")
	add(Encode(CmdRecordKeyUse, RecordKeyUse{Uses: map[string]KeyUse{"AKIABOB": {Time: at, Service: "s3"}, // older: ignored
		"AKIAROOT": {Time: at.Add(time.Hour), Service: "iam"}}}))
	add(Encode(cmdWriteThenFail, writeThenFail{Key: "plain-2"}))
	audited(CmdCreateUser, CreateUser{User: user("carol")}, "") // exists
	add(Encode(CmdAuditEvent, AuditEvent{Meta: AuditMeta{Time: at, Node: "n1", SourceIP: "192.0.2.1"}, Action: "auth.signature",
		Target: "AKIABAD", Error: "denied"})) // a plain command that writes its own entry
	audited(CmdDisableAudit, DisableAuditDevice{Path: "file/"}, "")
	audited(CmdCreateUser, CreateUser{User: user("dave")}, "") // logged, not exported
	add([]byte{0}, nil)                                        // too short to decode
	add(Encode(CommandType(64999), struct{}{}))                // unknown command
	logs = append(logs, &raft.Log{Index: uint64(len(logs) + 1), Type: raft.LogNoop})
	add(Encode(CmdCreateUser, CreateUser{User: user("erin")}))
	return logs
}

// groupCommitRun applies logs in ApplyBatch calls of the given sizes (the
// last size repeats) and returns what a node could tell apart: each
// entry's result, the snapshot (every table, the audit log and its head,
// the applied index) and the audit file.
func groupCommitRun(t *testing.T, auditFile string, logs []*raft.Log, sizes ...int) (results []string, snapshot, exported []byte) {
	t.Helper()
	if err := os.Remove(auditFile); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	f := New()
	for i, k := 0, 0; i < len(logs); k++ {
		n := min(sizes[min(k, len(sizes)-1)], len(logs)-i)
		out := f.ApplyBatch(logs[i : i+n])
		if len(out) != n {
			t.Fatalf("ApplyBatch returned %d results for %d entries", len(out), n)
		}
		for _, r := range out {
			results = append(results, describeResult(r))
		}
		i += n
	}
	var buf bytes.Buffer
	if err := f.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	exported, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	return results, buf.Bytes(), exported
}

func describeResult(r any) string {
	res, ok := r.(*Result)
	if !ok {
		return fmt.Sprintf("%#v", r)
	}
	value, err := json.Marshal(res.Value)
	if err != nil {
		value = []byte(fmt.Sprintf("%#v", res.Value))
	}
	return fmt.Sprintf("index %d value %s err %v", res.Index, value, res.Err)
}

// TestGroupCommitAppliesAsOneEntryAtATime: applying a log in batches of
// any size gives every entry the result, and the node the state and audit
// file, it gets when each entry is applied alone.
// With a retention of 4 entries, entries also fall off the log.
func TestGroupCommitAppliesAsOneEntryAtATime(t *testing.T) {
	registerWriteThenFail(t)
	defer func(n int) { AuditRetention = n }(AuditRetention)
	for _, retention := range []int{AuditRetention, 4} {
		AuditRetention = retention
		t.Run(fmt.Sprintf("retention=%d", retention), testGroupCommit)
	}
}

func testGroupCommit(t *testing.T) {
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	logs := groupCommitScript(t, auditFile)

	wantResults, wantSnap, wantFile := groupCommitRun(t, auditFile, logs, 1)
	if AuditRetention > len(logs) {
		checkGroupCommitScript(t, wantResults, wantSnap, wantFile)
	}
	for _, run := range []struct {
		sizes      []int
		writeLimit int // groupWriteLimit
	}{{[]int{len(logs)}, groupWriteLimit}, {[]int{2}, groupWriteLimit}, {[]int{3}, groupWriteLimit},
		{[]int{5, 1}, groupWriteLimit}, {[]int{7}, groupWriteLimit}, {[]int{9, 4}, groupWriteLimit},
		{[]int{len(logs)}, 2}, {[]int{7}, 3}} {
		sizes := run.sizes
		t.Run(fmt.Sprintf("batch=%v/write-limit=%d", sizes, run.writeLimit), func(t *testing.T) {
			defer func(n int) { groupWriteLimit = n }(groupWriteLimit)
			groupWriteLimit = run.writeLimit
			results, snap, file := groupCommitRun(t, auditFile, logs, sizes...)
			for i := range wantResults {
				if results[i] != wantResults[i] {
					t.Errorf("entry %d:\n got %s\nwant %s", i+1, results[i], wantResults[i])
				}
			}
			if !bytes.Equal(snap, wantSnap) {
				t.Errorf("state differs from one entry at a time:\n got %s\nwant %s", snap, wantSnap)
			}
			if !bytes.Equal(file, wantFile) {
				t.Errorf("audit file differs from one entry at a time:\n got %s\nwant %s", file, wantFile)
			}
		})
	}
}

// checkGroupCommitScript checks that the script did what it says, so that
// comparing runs of it means something.
func checkGroupCommitScript(t *testing.T, results []string, snapshot, exported []byte) {
	t.Helper()
	for i, want := range map[int]string{
		6:  "already exists",
		10: "value null err <nil>",
		11: "refused after writing plain",
		12: "refused after writing audited",
		14: "held for multi-user approval",
		16: `"Status":"failed"`,
		17: `"Failure":"`,
		18: `"Status":"approved"`,
		21: "refused after writing unlogged",
		23: "value null err <nil>",
		24: "refused after writing plain-2",
		29: "log entry too short",
		30: "unknown command type",
		31: "<nil>",
	} {
		if !strings.Contains(results[i-1], want) {
			t.Errorf("entry %d: %s, want %q in it", i, results[i-1], want)
		}
	}
	g := New()
	if err := g.Restore(nopCloser{bytes.NewReader(snapshot)}); err != nil {
		t.Fatal(err)
	}
	st := g.State()
	for _, key := range []string{"plain", "audited", "unlogged", "plain-2"} {
		if st.MUAConfig(key) != nil {
			t.Errorf("the failed command's row %q was kept", key)
		}
	}
	if st.Approval("ap-bob").Status != ApprovalFailed || st.Approval("ap-alice").Status != ApprovalApproved {
		t.Errorf("approvals: bob %+v, alice %+v", st.Approval("ap-bob"), st.Approval("ap-alice"))
	}
	if u := st.KeyLastUsed("AKIABOB"); u == nil || u.Service != "iam" {
		t.Errorf("bob's key: last use %+v, want the newer one, iam", u)
	}
	if u := st.KeyLastUsed("AKIAROOT"); u == nil || u.Service != "iam" {
		t.Errorf("root key: last use %+v, want the newer one, iam", u)
	}
	if u := st.KeyLastUsed("AKIANONE"); u != nil {
		t.Errorf("a key that does not exist has a last use: %+v", u)
	}
	if u := st.TOTPUsage("m1", "e1"); u == nil || u.LastUsedStep != 101 {
		t.Errorf("TOTP usage %+v, want step 101 used", u)
	}
	entries, _ := st.AuditEntries(AuditFilter{})
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action+":"+e.Result+":"+e.Target)
	}
	log := strings.Join(actions, " ")
	for _, want := range []string{"test-write-then-fail:failure", "approval.request:pending", "iam.user.delete:failure:bob",
		"iam.user.delete:success:alice", "iam.user.create:success:dave"} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %q: %s", want, log)
		}
	}
	if strings.Contains(log, "success:carol") {
		t.Errorf("audit log has carol's creation, made while logging was off: %s", log)
	}
	file := string(exported)
	if !strings.Contains(file, `"target":"bob"`) || !strings.Contains(file, `"target":"AKIABAD"`) || strings.Contains(file, `"target":"dave"`) ||
		strings.Contains(file, `"target":"corp"`) {
		t.Errorf("audit file should hold what was applied while the device was enabled:\n%s", file)
	}
}
