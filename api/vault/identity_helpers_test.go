package vault_test

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/api/apitest"
)

// Helpers shared by the identity and login MFA tests.

var idUUIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// idWantError checks that err is a Vault response error with the status and,
// when msg is not empty, exactly that message.
func idWantError(t *testing.T, err error, status int, msg string) {
	t.Helper()
	var re *vaultapi.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want a %d response error %q, got %v", status, msg, err)
	}
	if re.StatusCode != status {
		t.Fatalf("status %d, want %d (errors %q)", re.StatusCode, status, re.Errors)
	}
	if msg != "" && (len(re.Errors) != 1 || re.Errors[0] != msg) {
		t.Fatalf("errors %q, want [%q]", re.Errors, msg)
	}
}

func idWrite(t *testing.T, c *vaultapi.Client, path string, data map[string]any) *vaultapi.Secret {
	t.Helper()
	s, err := c.Logical().Write(path, data)
	if err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return s
}

func idRead(t *testing.T, c *vaultapi.Client, path string) map[string]any {
	t.Helper()
	s, err := c.Logical().Read(path)
	if err != nil || s == nil {
		t.Fatalf("read %s: %v %v", path, s, err)
	}
	return s.Data
}

// idEnableUserpass mounts userpass at path and returns its accessor.
func idEnableUserpass(t *testing.T, c *vaultapi.Client, path string) string {
	t.Helper()
	if err := c.Sys().EnableAuthWithOptions(path, &vaultapi.EnableAuthOptions{Type: "userpass"}); err != nil {
		t.Fatal(err)
	}
	mounts, err := c.Sys().ListAuth()
	if err != nil {
		t.Fatal(err)
	}
	return mounts[path+"/"].Accessor
}

func idCreateEntity(t *testing.T, c *vaultapi.Client, name string) string {
	t.Helper()
	return idWrite(t, c, "identity/entity", map[string]any{"name": name}).Data["id"].(string)
}

func idCreateTOTP(t *testing.T, c *vaultapi.Client, data map[string]any) string {
	t.Helper()
	if data == nil {
		data = map[string]any{"issuer": "iamd"}
	}
	return idWrite(t, c, "identity/mfa/method/totp", data).Data["method_id"].(string)
}

// idKeys returns a list answer's keys.
func idKeys(t *testing.T, s *vaultapi.Secret) []string {
	t.Helper()
	if s == nil {
		t.Fatal("list answered nothing")
	}
	var out []string
	for _, k := range s.Data["keys"].([]any) {
		out = append(out, k.(string))
	}
	return out
}

// idListBothWays lists path with the Go client (GET ?list=true) and with a
// raw LIST request, checks both agree, and returns the client's answer.
func idListBothWays(t *testing.T, d *apitest.Dev, c *vaultapi.Client, path string) *vaultapi.Secret {
	t.Helper()
	s, err := c.Logical().List(path)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := raw(t, "LIST", d.URL+"/v1/"+path, d.RootToken, "")
	if s == nil {
		if status != 404 || len(errorsOf(body)) != 0 {
			t.Fatalf("raw LIST %s: %d %v, client saw nothing", path, status, body)
		}
		return nil
	}
	if status != 200 {
		t.Fatalf("raw LIST %s: %d %v", path, status, body)
	}
	rawKeys := body["data"].(map[string]any)["keys"].([]any)
	if len(rawKeys) != len(s.Data["keys"].([]any)) {
		t.Fatalf("LIST and GET ?list=true disagree on %s: %v vs %v", path, rawKeys, s.Data["keys"])
	}
	return s
}

// idWantEmpty checks that a list answers 404 with both verbs.
func idWantEmpty(t *testing.T, d *apitest.Dev, c *vaultapi.Client, path string) {
	t.Helper()
	if s := idListBothWays(t, d, c, path); s != nil {
		t.Fatalf("%s still lists %v", path, s.Data["keys"])
	}
}

// idRace runs f from n goroutines at once and returns their errors.
func idRace(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func(i int) {
			defer done.Done()
			start.Wait()
			errs[i] = f(i)
		}(i)
	}
	start.Done()
	done.Wait()
	return errs
}

// idWins counts the nil errors of a race and hands every other one to
// loser, which checks it is the refusal expected.
func idWins(errs []error, loser func(error)) int {
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		loser(err)
	}
	return wins
}

// idCase is a POST that must be refused with 400 and msg.
type idCase struct{ path, body, msg string }

// idRejectAll sends every case and checks the answer: exactly [msg], or
// with contains an error containing msg. None may change the state.
func idRejectAll(t *testing.T, d *apitest.Dev, cases []idCase, contains bool) {
	t.Helper()
	before := d.Node.FSM().Digest()
	for _, tc := range cases {
		status, _, body := raw(t, "POST", d.URL+"/v1/"+tc.path, d.RootToken, tc.body)
		errs := errorsOf(body)
		ok := len(errs) == 1 && errs[0] == tc.msg
		if contains {
			ok = strings.Contains(strings.Join(errs, "|"), tc.msg)
		}
		if status != 400 || !ok {
			t.Errorf("POST %s %.60s: %d %v, want 400 %q", tc.path, tc.body, status, body, tc.msg)
		}
	}
	if d.Node.FSM().Digest() != before {
		t.Fatal("rejected requests changed the state")
	}
}
