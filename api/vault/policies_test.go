package vault_test

import (
	"strings"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

func TestACLPoliciesGovernTokens(t *testing.T) {
	d := apitest.StartDev(t)
	root := d.VaultClient(t, d.RootToken)
	rules := `
path "auth/token/accessors" { capabilities = ["list", "sudo"] }
path "sys/auth/*" { capabilities = ["read", "sudo"] }
path "sys/auth/secret*" { capabilities = ["deny"] }
`
	if err := root.Sys().PutPolicy("Auditor", rules); err != nil {
		t.Fatal(err)
	}
	got, err := root.Sys().GetPolicy("auditor")
	if err != nil || !strings.Contains(got, "auth/token/accessors") {
		t.Fatalf("get policy: %q %v", got, err)
	}
	if err := root.Sys().PutPolicy("broken", `path "x" { capabilities = ["fly"] }`); err == nil {
		t.Fatal("invalid policy stored")
	}
	if err := root.Sys().PutPolicy("root", `path "*" { capabilities = ["read"] }`); err == nil {
		t.Fatal("root policy overwritten")
	}
	names, err := root.Sys().ListPolicies()
	if err != nil || strings.Join(names, ",") != "auditor,default,root" {
		t.Fatalf("list policies: %v %v", names, err)
	}
	// The legacy path lists too, with LIST and GET ?list=true.
	listed, err := root.Logical().List("sys/policy")
	if err != nil || listed == nil || len(listed.Data["keys"].([]any)) != 3 {
		t.Fatalf("LIST sys/policy: %v %v", listed, err)
	}

	tok, err := root.Auth().Token().Create(&vaultapi.TokenCreateRequest{Policies: []string{"auditor"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Warnings) != 0 {
		t.Fatalf("warnings for an existing policy: %v", tok.Warnings)
	}
	c := d.VaultClient(t, tok.Auth.ClientToken)
	if _, err := c.Logical().List("auth/token/accessors"); err != nil {
		t.Fatalf("allowed list refused: %v", err)
	}
	if _, err := c.Logical().Read("sys/auth/token"); err != nil {
		t.Fatalf("allowed read refused: %v", err)
	}
	if _, err := c.Logical().Read("sys/auth/secretive"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("denied read allowed: %v", err)
	}
	if _, err := c.Auth().Token().Create(&vaultapi.TokenCreateRequest{}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("token create without capability: %v", err)
	}
	caps, err := c.Sys().CapabilitiesSelf("auth/token/accessors")
	if err != nil || strings.Join(caps, ",") != "list,sudo" {
		t.Fatalf("capabilities-self: %v %v", caps, err)
	}
	caps, err = c.Sys().CapabilitiesSelf("sys/auth/secretive")
	if err != nil || strings.Join(caps, ",") != "deny" {
		t.Fatalf("capabilities-self on denied path: %v %v", caps, err)
	}
	// Changing the policy changes what existing tokens may do; sys/auth/*
	// is root-protected, so read without sudo no longer reads it.
	if err := root.Sys().PutPolicy("auditor", `path "sys/auth/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logical().List("auth/token/accessors"); err == nil {
		t.Fatal("list still allowed after the policy changed")
	}
	if _, err := c.Logical().Read("sys/auth/token"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("root-protected read without sudo: %v", err)
	}
	if err := root.Sys().DeletePolicy("auditor"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logical().Read("sys/auth/token"); err == nil {
		t.Fatal("read still allowed after the policy was deleted")
	}
	if err := root.Sys().DeletePolicy("default"); err == nil {
		t.Fatal("default policy deleted")
	}
	if _, err := root.Logical().Read("sys/policies/acl/nope"); err != nil {
		t.Fatalf("reading a missing policy: %v", err)
	}
	if s, _ := root.Logical().Read("sys/policies/acl/nope"); s != nil {
		t.Fatal("missing policy read returned data")
	}
}
