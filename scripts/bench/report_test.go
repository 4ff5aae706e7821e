package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleReport() *report {
	r := &report{started: time.Date(2026, 12, 3, 18, 5, 0, 0, time.UTC), command: "go run ./scripts/bench -doc docs/benchmarks.md",
		header: []string{"machine: 2 cores", "versions: go1.26.8, etcd 3.4.23, iamd abc1234"}}
	r.addRow("etcd put", "64", "3953", "14.34ms", "43.25ms", "0", "", "", "310µs", "70µs")
	r.addRow("iam CreateUser/DeleteUser", "64", "1796", "32.42ms", "91.79ms", "0", "0.45x", "", "833µs", "118µs")
	r.addNote("entries/batch 17.1, leader apply mean 22.17ms")
	r.text = []string{"failover: SIGKILL the leader", "  ratio iamd/etcd: 0.83x"}
	return r
}

// The phases become a Markdown table with one column per printed column,
// each row's notes a list under it, and the failover lines a text block.
func TestReportMarkdown(t *testing.T) {
	md := sampleReport().markdown()
	want := []string{
		"Written by `go run ./scripts/bench -doc docs/benchmarks.md` on 2026-12-03 18:05 UTC.\n",
		"* machine: 2 cores\n* versions: go1.26.8, etcd 3.4.23, iamd abc1234\n",
		"| phase | clients | ops/s | p50 | p99 | errors | vs etcd | vs no-op | srv CPU | load CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
		"| etcd put | 64 | 3953 | 14.34ms | 43.25ms | 0 |  |  | 310µs | 70µs |\n",
		"| iam CreateUser/DeleteUser | 64 | 1796 | 32.42ms | 91.79ms | 0 | 0.45x |  | 833µs | 118µs |\n",
		"* iam CreateUser/DeleteUser, clients 64: entries/batch 17.1, leader apply mean 22.17ms\n",
		"```text\nfailover: SIGKILL the leader\n  ratio iamd/etcd: 0.83x\n```\n",
	}
	for _, w := range want {
		if !strings.Contains(md, w) {
			t.Errorf("markdown lacks %q:\n%s", w, md)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") && strings.Count(line, "|") != len(phaseColumns)+1 {
			t.Errorf("table line with the wrong number of cells: %q", line)
		}
	}
}

// writeDoc replaces only the block of its kind, keeps everything around
// it, and can run again over its own output.
func TestWriteDocReplacesItsBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.md")
	doc := "# Title\n\nprose quoting `<!-- bench:phases -->` and `<!-- /bench:phases -->`\nbefore\n<!-- bench:phases -->\nold table\n<!-- /bench:phases -->\nbetween\n<!-- bench:scale -->\nold scale\n<!-- /bench:scale -->\nafter\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sampleReport()
	for range 2 {
		if err := checkDoc(path, "phases"); err != nil {
			t.Fatal(err)
		}
		if err := r.writeDoc(path, "phases"); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		want := "# Title\n\nprose quoting `<!-- bench:phases -->` and `<!-- /bench:phases -->`\nbefore\n<!-- bench:phases -->\n" + r.markdown() + "<!-- /bench:phases -->\nbetween\n<!-- bench:scale -->\nold scale\n<!-- /bench:scale -->\nafter\n"
		if string(got) != want {
			t.Fatalf("document after writeDoc:\n%s\nwant:\n%s", got, want)
		}
	}
}

// A document without a usable pair of markers is refused before a run,
// and left as it was.
func TestDocMarkersRequired(t *testing.T) {
	begin, end := docMarkers("phases")
	unusable := []string{
		"# Title\n",        // no markers
		begin + "\n",       // no end
		end + "\n" + begin, // reversed
		begin + end + begin + end,
		begin + "\n" + end + "\n" + begin + "\n" + end + "\n", // two blocks
		"<!-- bench:scale -->\n<!-- /bench:scale -->\n",       // another kind's
	}
	for _, doc := range unusable {
		path := filepath.Join(t.TempDir(), "b.md")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := checkDoc(path, "phases"); err == nil {
			t.Errorf("checkDoc accepted %q", doc)
		}
		if err := sampleReport().writeDoc(path, "phases"); err == nil {
			t.Errorf("writeDoc accepted %q", doc)
		}
		if got, _ := os.ReadFile(path); string(got) != doc {
			t.Errorf("document %q changed to %q", doc, got)
		}
	}
	if err := checkDoc(filepath.Join(t.TempDir(), "missing.md"), "phases"); err == nil {
		t.Error("checkDoc accepted a missing file")
	}
}
