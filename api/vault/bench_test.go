package vault_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"iamd/api"
	"iamd/api/apitest"
	"iamd/server/config"
)

// BenchmarkVaultReads measures the server side of the Vault reads that
// scripts/bench sends (token lookup-self, an enforcement read, the LIST of
// ten enforcements) with a non-root token whose policy allows exactly
// these, without the network.
func BenchmarkVaultReads(b *testing.B) {
	d := apitest.StartDev(b)
	c := d.VaultClient(b, d.RootToken)
	if err := c.Sys().PutPolicy("bench", `
path "auth/token/lookup-self" { capabilities = ["read"] }
path "identity/mfa/login-enforcement" { capabilities = ["list"] }
path "identity/mfa/login-enforcement/*" { capabilities = ["read"] }
`); err != nil {
		b.Fatal(err)
	}
	tok, err := c.Logical().Write("auth/token/create", map[string]any{"policies": []string{"bench"}, "ttl": "1h"})
	if err != nil {
		b.Fatal(err)
	}
	m, err := c.Logical().Write("identity/mfa/method/totp", map[string]any{"issuer": "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10 {
		if _, err := c.Logical().Write(fmt.Sprintf("identity/mfa/login-enforcement/e%d", i), map[string]any{
			"mfa_method_ids": []string{m.Data["method_id"].(string)}, "auth_method_types": []string{"token"}}); err != nil {
			b.Fatal(err)
		}
	}
	h := api.New(d.Node, config.DefaultMaxRequestSize)
	for _, tc := range []struct{ name, method, path string }{
		{"lookup-self", http.MethodGet, "/v1/auth/token/lookup-self"},
		{"enforcement-read", http.MethodGet, "/v1/identity/mfa/login-enforcement/e3"},
		{"enforcement-list", "LIST", "/v1/identity/mfa/login-enforcement"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(tc.method, d.URL+tc.path, nil)
			req.Header.Set("X-Vault-Token", tok.Auth.ClientToken)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req.Clone(req.Context()))
					if w.Code != 200 {
						b.Fatalf("%d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}
