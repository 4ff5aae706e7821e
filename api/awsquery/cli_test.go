package awsquery_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"iamd/api/apitest"
)

// TestAWSCLI runs scripts/aws-cli-e2e.sh (the real aws CLI) against a dev
// node of this process. It needs `aws` on PATH and takes about half a
// minute (the CLI starts Python for every call), so -short skips it.
func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	if testing.Short() {
		t.Skip("slow: runs the aws CLI about 40 times")
	}
	d := apitest.StartDev(t)
	c, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, "bash", "../../scripts/aws-cli-e2e.sh")
	cmd.Env = append(os.Environ(), "IAMD_ADDR="+d.URL, "AWS_ACCESS_KEY_ID="+d.AccessKey, "AWS_SECRET_ACCESS_KEY="+d.SecretKey)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("aws-cli-e2e.sh: %v", err)
	}
}
