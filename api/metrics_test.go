package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"iamd/api/apitest"
)

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsCountRequestsAndRaft(t *testing.T) {
	d := apitest.StartDev(t)
	vc := d.VaultClient(t, d.RootToken)
	if _, err := vc.Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	// A write: goes through Raft and the FSM.
	if _, err := vc.Auth().Token().Create(nil); err != nil {
		t.Fatal(err)
	}
	// A missing route is counted under one label, not under its path.
	get(t, d.URL+"/v1/no/such/path/abc123", d.RootToken)

	code, body := get(t, d.URL+"/v1/sys/metrics", d.RootToken)
	if code != http.StatusOK {
		t.Fatalf("sys/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`iamd_http_requests_total{action="GET /v1/auth/token/lookup-self",code="200",dialect="vault"} 1`,
		`iamd_http_requests_total{action="POST /v1/auth/token/create",code="200",dialect="vault"} 1`,
		`iamd_http_request_duration_seconds_count{action="GET /v1/auth/token/lookup-self",dialect="vault"} 1`,
		`action="GET unmatched",code="404"`,
		`iamd_raft_apply_duration_seconds_count`,
		`iamd_fsm_apply_duration_seconds_count{command=`,
		`iamd_raft_commit_lag{node_id="dev"} 0`,
		`iamd_raft_is_leader{node_id="dev"} 1`,
		`iamd_raft_applied_index{node_id="dev"}`,
		// hashicorp/raft's own measures (telemetry/raftsink.go).
		`iamd_raft_apply `,
		`iamd_raft_commitTime_bucket{le=`,
		`iamd_raft_fsm_applyBatch_count `,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("sys/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "abc123") {
		t.Error("a request path became a label value")
	}
}

func TestMetricsNeedAToken(t *testing.T) {
	d := apitest.StartDev(t)
	if code, body := get(t, d.URL+"/v1/sys/metrics", ""); code != http.StatusForbidden || !strings.Contains(body, `"errors"`) {
		t.Fatalf("sys/metrics without a token: %d %s", code, body)
	}
	if code, _ := get(t, d.URL+"/v1/sys/metrics", "not-a-token"); code != http.StatusForbidden {
		t.Fatalf("sys/metrics with a bad token: %d", code)
	}
	// Bearer, as Prometheus sends it.
	req, _ := http.NewRequest(http.MethodGet, d.URL+"/v1/sys/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+d.RootToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("sys/metrics with a bearer token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestNoopAndPprof(t *testing.T) {
	d := apitest.StartDev(t)
	if code, body := get(t, d.URL+"/v1/sys/internal/noop", ""); code != http.StatusOK || body != "{\"ok\":true}\n" {
		t.Fatalf("noop: %d %q", code, body)
	}
	if code, _ := get(t, d.URL+"/v1/sys/pprof/goroutine?debug=1", ""); code != http.StatusForbidden {
		t.Fatalf("pprof without a token: %d", code)
	}
	if code, body := get(t, d.URL+"/v1/sys/pprof/goroutine?debug=1", d.RootToken); code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("pprof with the root token: %d %.100s", code, body)
	}
}

func TestAWSActionLabelsAreBounded(t *testing.T) {
	d := apitest.StartDev(t)
	// Unsigned requests fail, but are still counted under their action.
	for _, a := range []string{"GetUser", "GetUser", "bad-name!", strings.Repeat("A", 80)} {
		resp, err := http.Post(d.URL+"/?Action="+a, "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// The Action of a form body, as the SDKs send it, labels the request too.
	resp, err := http.Post(d.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, body := get(t, d.URL+"/v1/sys/metrics", d.RootToken)
	if !strings.Contains(body, `action="GetUser"`) || !strings.Contains(body, `action="ListUsers"`) || !strings.Contains(body, `action="other"`) {
		t.Fatalf("aws actions not labelled as expected:\n%s", grepLines(body, "dialect=\"aws\""))
	}
	if strings.Contains(body, "bad-name") || strings.Contains(body, strings.Repeat("A", 80)) {
		t.Fatal("an ill-formed action became a label")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
