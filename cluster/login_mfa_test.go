package cluster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TestLoginMFAAcrossNodes: pending MFA logins, used codes and the login
// entity are replicated state, so a login started on one node completes on
// another, a code used on one node is refused on another, and a pending
// login survives the loss of the leader.
func TestLoginMFAAcrossNodes(t *testing.T) {
	nodes := threeNodes(t)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	root := n1.client(rootToken)
	enable := do(t, "POST", n1.url()+"/v1/sys/auth/userpass", rootToken, map[string]any{"type": "userpass"})
	if enable.status != 204 {
		t.Fatalf("enable userpass: %d %s", enable.status, enable.errors())
	}
	mounts, err := root.Sys().ListAuth()
	if err != nil {
		t.Fatal(err)
	}
	accessor := mounts["userpass/"].Accessor
	// Reads on a follower see a write when they send its index back.
	user := do(t, "POST", n2.url()+"/v1/auth/userpass/users/alice", rootToken, map[string]any{"password": "pw"},
		"X-Iamd-Index", enable.header.Get("X-Iamd-Index"))
	if user.status != 204 {
		t.Fatalf("create user via a follower: %d %s", user.status, user.errors())
	}
	login := func(n *testNode) response {
		t.Helper()
		return do(t, "POST", n.url()+"/v1/auth/userpass/login/alice", "", map[string]any{"password": "pw"},
			"X-Iamd-Index", user.header.Get("X-Iamd-Index"))
	}
	first := login(n3)
	if first.status != 200 {
		t.Fatalf("first login on a follower: %d %s", first.status, first.errors())
	}
	entityID := first.body["auth"].(map[string]any)["entity_id"].(string)

	const period = 5 // seconds: short, so the test can wait for a fresh code
	m := do(t, "POST", n1.url()+"/v1/identity/mfa/method/totp", rootToken, map[string]any{"issuer": "iamd", "period": period})
	methodID := m.body["data"].(map[string]any)["method_id"].(string)
	gen := do(t, "POST", n2.url()+"/v1/identity/mfa/method/totp/admin-generate", rootToken, map[string]any{"method_id": methodID, "entity_id": entityID},
		"X-Iamd-Index", m.header.Get("X-Iamd-Index"))
	if gen.status != 200 {
		t.Fatalf("admin-generate: %d %s", gen.status, gen.errors())
	}
	key, err := otp.NewKeyFromURL(gen.body["data"].(map[string]any)["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, "POST", n3.url()+"/v1/identity/mfa/login-enforcement/all", rootToken, map[string]any{
		"mfa_method_ids": []string{methodID}, "auth_method_accessors": []string{accessor},
	}, "X-Iamd-Index", gen.header.Get("X-Iamd-Index")); r.status != 204 {
		t.Fatalf("enforcement: %d %s", r.status, r.errors())
	}

	// lastStep is the step of the last code used; fresh waits for the next.
	lastStep := int64(0)
	fresh := func() string {
		t.Helper()
		for time.Now().Unix()/period <= lastStep {
			time.Sleep(100 * time.Millisecond)
		}
		now := time.Now()
		lastStep = now.Unix() / period
		code, err := totp.GenerateCodeCustom(key.Secret(), now, totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	pending := func(n *testNode) string {
		t.Helper()
		r := login(n)
		auth, _ := r.body["auth"].(map[string]any)
		req, _ := auth["mfa_requirement"].(map[string]any)
		if r.status != 200 || req == nil || auth["client_token"] != "" {
			t.Fatalf("login on %s: %d %v", n.id, r.status, r.body)
		}
		return req["mfa_request_id"].(string)
	}
	validate := func(n *testNode, reqID, code string) response {
		t.Helper()
		return do(t, "POST", n.url()+"/v1/sys/mfa/validate", "", map[string]any{
			"mfa_request_id": reqID, "mfa_payload": map[string]any{methodID: []string{code}},
		})
	}

	// Started on one follower, completed on the other.
	code := fresh()
	if r := validate(n3, pending(n2), code); r.status != 200 || r.body["auth"].(map[string]any)["client_token"] == "" {
		t.Fatalf("validate on another node: %d %s", r.status, r.errors())
	}
	// The same code, on another node and another login: refused.
	if r := validate(n1, pending(n3), code); r.status != 403 || !strings.Contains(r.errors(), "MFA credentials not supplied or incorrect") {
		t.Fatalf("reused code on another node: %d %s", r.status, r.errors())
	}

	// A login pending when the leader dies completes once on a survivor.
	reqID := pending(n2)
	n1.kill()
	code = fresh()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := validate(n3, reqID, code)
		if r.status == 200 {
			break
		}
		if r.status < 500 || time.Now().After(deadline) {
			t.Fatalf("validate after leader loss: %d %s", r.status, r.errors())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := validate(n2, reqID, code); r.status != 400 || r.errors() != "invalid request ID" {
		t.Fatalf("second validation of one login: %d %s", r.status, r.errors())
	}
}
