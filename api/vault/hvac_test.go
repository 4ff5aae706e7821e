package vault_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"iamd/api/apitest"
)

// TestHvacClient runs scripts/hvac-e2e.py (the Python hvac client: token
// lookup, userpass, login MFA configuration, health, 403/404 as hvac
// exceptions) against a dev node of this process. It needs a python3 that
// can import hvac (Debian: python3-hvac) and skips otherwise.
func TestHvacClient(t *testing.T) {
	py := pythonWithHvac()
	if py == "" {
		t.Skip("no python3 that can import hvac (apt-get install python3-hvac)")
	}
	d := apitest.StartDev(t)
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, py, "../../scripts/hvac-e2e.py")
	cmd.Env = append(os.Environ(), "IAMD_ADDR="+d.URL, "VAULT_TOKEN="+d.RootToken)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("hvac-e2e.py: %v", err)
	}
}

// pythonWithHvac finds an interpreter with hvac: the python3 on PATH may be
// a pyenv or venv one that lacks the Debian package, which /usr/bin/python3 has.
func pythonWithHvac() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import hvac").Run() == nil {
			return py
		}
	}
	return ""
}
