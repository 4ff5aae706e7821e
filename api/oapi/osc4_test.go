package oapi_test

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"iamd/api/apitest"
)

// curlOSC4 calls the node with curl's own OSC4-HMAC-SHA256 signer
// (--aws-sigv4 "osc:osc:<region>:api", as OUTSCALE documents for curl) and
// returns the status and the JSON answer.
func curlOSC4(t *testing.T, url, ak, sk, body string) (int, map[string]any) {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	out, err := exec.Command(curl, "-s", "-w", "\n%{http_code}", "--aws-sigv4", "osc:osc:eu-west-2:api", "-u", ak+":"+sk,
		"-H", "Content-Type: application/json", "-d", body, url).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	// -w appends the status on a line of its own.
	i := strings.LastIndexByte(string(out), '\n')
	if i < 0 {
		t.Fatalf("curl output %q", out)
	}
	code, err := strconv.Atoi(string(out[i+1:]))
	if err != nil {
		t.Fatalf("curl status %q", out[i+1:])
	}
	var m map[string]any
	if err := json.Unmarshal(out[:i], &m); err != nil {
		t.Fatalf("answer is not JSON: %s", out)
	}
	return code, m
}

// TestOSC4Signature: OUTSCALE's signature flavour is accepted on OAPI,
// refused with a wrong secret (code 1), and not accepted by the IAM
// query endpoint.
func TestOSC4Signature(t *testing.T) {
	d := apitest.StartDev(t)
	status, body := curlOSC4(t, d.URL+"/api/v1/ReadApiAccessPolicy", d.AccessKey, d.SecretKey, `{}`)
	if status != 200 || body["ApiAccessPolicy"] == nil {
		t.Fatalf("OSC4 ReadApiAccessPolicy: %d %v", status, body)
	}
	status, body = curlOSC4(t, d.URL+"/api/latest/CreateApiAccessRule", d.AccessKey, d.SecretKey, `{"IpRanges":["10.0.0.0/8"],"DryRun":true}`)
	if status != 200 || body["DryRun"] != true {
		t.Fatalf("OSC4 dry-run CreateApiAccessRule: %d %v", status, body)
	}
	status, body = curlOSC4(t, d.URL+"/api/v1/ReadApiAccessPolicy", d.AccessKey, "wrong"+d.SecretKey[5:], `{}`)
	if r := (raw{Status: status, Body: body}); status != 401 || r.code() != "1" {
		t.Fatalf("OSC4 with a wrong secret: %d %v", status, body)
	}
	// The IAM endpoint takes SigV4 only.
	curl, _ := exec.LookPath("curl")
	out, err := exec.Command(curl, "-s", "-w", "\n%{http_code}", "--aws-sigv4", "osc:osc:eu-west-2:api", "-u", d.AccessKey+":"+d.SecretKey,
		"-d", "Action=ListUsers&Version=2010-05-08", d.URL+"/").Output()
	if err != nil || !strings.Contains(string(out), "IncompleteSignature") || !strings.HasSuffix(string(out), "400") {
		t.Fatalf("OSC4 on the IAM endpoint: %s %v", out, err)
	}
}
