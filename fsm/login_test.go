package fsm

import (
	"strings"
	"testing"
	"time"
)

// Apply-level tests of logins: the decisions that must be identical on
// every node (lockout counting, first-login entity, replay and attempt
// counting) depend only on the commands.

const upAccessor = "auth_userpass_11111111"

func loginFixture(t *testing.T) *identityFixture {
	x := newIdentityFixture(t)
	hash := "$argon2id$stub"
	x.ok(CmdPutUserpassUser, PutUserpassUser{MountAccessor: upAccessor, Username: "alice", PasswordHash: &hash, Token: &TokenParams{}})
	return x
}

func loginCmd(n int, at time.Time) Login {
	id := string(rune('a' + n))
	return Login{
		Template: LoginTemplate{MountAccessor: upAccessor, MountType: "userpass", Username: "alice", TTL: time.Hour},
		Lockout:  LockoutPolicy{Threshold: 3, Duration: 10 * time.Minute, CounterReset: 5 * time.Minute},
		Time:     at, NewEntityID: "entity-" + id, NewEntityName: "entity_" + id, NewAliasID: "alias-" + id,
		TokenHMAC: "hmac-" + id, TokenAccessor: "acc-" + id, PendingID: "req-" + id, PendingTTL: 300 * time.Second,
	}
}

func TestLoginLockoutCountsInApply(t *testing.T) {
	x := loginFixture(t)
	fail := RecordLoginFailure{MountAccessor: upAccessor, Username: "alice", Time: idTime,
		Policy: LockoutPolicy{Threshold: 3, Duration: 10 * time.Minute, CounterReset: 5 * time.Minute}}
	for i := 0; i < 3; i++ {
		x.ok(CmdRecordLoginFailure, fail)
	}
	x.fails(CmdLogin, loginCmd(0, idTime.Add(time.Minute)), "permission denied")
	// Unknown users are not counted.
	ghost := fail
	ghost.Username = "ghost"
	if l := x.ok(CmdRecordLoginFailure, ghost).(*LoginLockout); l.Failures != 0 || x.f.State().LoginLockout(upAccessor, "ghost") != nil {
		t.Fatal("a failure of an unknown user was recorded")
	}
	out := x.ok(CmdLogin, loginCmd(1, idTime.Add(10*time.Minute))).(*LoginOutcome)
	if out.Token == nil || out.EntityID != "entity-b" {
		t.Fatalf("login after the lockout: %+v", out)
	}
	// The entity exists now: a later first-login proposal reuses it.
	again := x.ok(CmdLogin, loginCmd(2, idTime.Add(11*time.Minute))).(*LoginOutcome)
	if again.EntityID != "entity-b" {
		t.Fatalf("second login made entity %q", again.EntityID)
	}
}

func TestValidateMFAReplayAndAttemptsInApply(t *testing.T) {
	x := loginFixture(t)
	x.ok(CmdPutMFAMethod, PutMFAMethod{Create: true, Method: MFAMethod{ID: "m1", Name: "corp", Type: "totp",
		TOTP: TOTPSettings{Issuer: "i", Period: 30, Digits: 6, Skew: 1, KeySize: 20, MaxValidationAttempts: 2}}})
	x.ok(CmdLogin, loginCmd(0, idTime)) // creates entity-a
	x.ok(CmdPutTOTPSecret, PutTOTPSecret{EntityID: "entity-a", MethodID: "m1", Sealed: []byte("sealed")})
	x.ok(CmdPutLoginEnforcement, PutLoginEnforcement{Name: "e", NewID: "e1", MFAMethodIDs: strs("m1"), AuthMethodAccessors: strs(upAccessor)})

	pending := x.ok(CmdLogin, loginCmd(1, idTime)).(*LoginOutcome)
	if pending.Pending == nil || pending.Token != nil || pending.Enforcements[0] != "e" {
		t.Fatalf("login under an enforcement: %+v", pending)
	}
	good := MFAAttempt{MethodID: "m1", EntityID: "entity-a", Passcode: true, Canonical: true, Step: 100, SecretDigest: SecretDigest([]byte("sealed"))}
	validate := func(req string, a MFAAttempt, at time.Time, n int) *LoginOutcome {
		return x.ok(CmdValidateMFA, ValidateMFA{RequestID: req, Attempts: []MFAAttempt{a}, Time: at,
			TokenHMAC: "v" + string(rune('a'+n)), TokenAccessor: "va" + string(rune('a'+n))}).(*LoginOutcome)
	}
	if out := validate("req-b", good, idTime, 0); out.Token == nil {
		t.Fatalf("good code: %+v", out)
	}
	x.fails(CmdValidateMFA, ValidateMFA{RequestID: "req-b", Time: idTime}, "invalid request ID")

	x.ok(CmdLogin, loginCmd(2, idTime))
	for i, a := range []MFAAttempt{good, func() MFAAttempt { b := good; b.Step = 99; return b }()} {
		if out := validate("req-c", a, idTime, 1+i); !strings.Contains(out.MFAFailure, ErrMFACredentials) {
			t.Fatalf("replayed or older step %d accepted: %+v", a.Step, out)
		}
	}
	// Two failures reached max_validation_attempts: a new step is refused
	// until the window (one period from the first failure) ends.
	next := good
	next.Step = 101
	if out := validate("req-c", next, idTime.Add(29*time.Second), 3); !strings.Contains(out.MFAFailure, "maximum TOTP validation attempts 3 exceeded the allowed attempts 2") {
		t.Fatalf("locked attempt: %+v", out)
	}
	if out := validate("req-c", next, idTime.Add(30*time.Second), 4); out.Token == nil {
		t.Fatalf("after the window: %+v", out)
	}
	// Pending logins expire.
	x.ok(CmdLogin, loginCmd(3, idTime.Add(time.Minute)))
	x.fails(CmdValidateMFA, ValidateMFA{RequestID: "req-d", Attempts: []MFAAttempt{next}, Time: idTime.Add(time.Minute + 300*time.Second)}, "invalid request ID")
}
