package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"
)

// A report keeps what a run printed so that -doc can write it into a
// Markdown document: the phases as a table, the failover and scale output
// as preformatted text, under the command, the date, the machine and the
// versions. The document marks where each kind of run goes:
//
//	<!-- bench:phases -->        (a run of the phases)
//	<!-- /bench:phases -->
//	<!-- bench:scale -->         (a -scale run)
//	<!-- /bench:scale -->
//
// and -doc replaces what lies between the two markers of its kind.
type report struct {
	started time.Time
	command string
	header  []string
	rows    []reportRow
	text    []string
}

// reportRow is one line of the phase table and the notes printed under it.
type reportRow struct {
	cells []string
	notes []string
}

var phaseColumns = []string{"phase", "clients", "ops/s", "p50", "p99", "errors", "vs etcd", "vs no-op", "srv CPU", "load CPU"}

// rep is the run's report; the phases run one after another, so it needs
// no lock.
var rep = &report{started: time.Now(), command: "go run ./scripts/bench " + strings.Join(os.Args[1:], " ")}

// printf prints a line of the run's output and keeps it as text.
func (r *report) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	fmt.Print(s)
	r.text = append(r.text, strings.TrimRight(s, "\n"))
}

// addRow keeps one row of the phase table, the cells as printed.
func (r *report) addRow(cells ...any) {
	row := reportRow{cells: make([]string, len(cells))}
	for i, c := range cells {
		row.cells[i] = fmt.Sprint(c)
	}
	r.rows = append(r.rows, row)
}

// addNote attaches a note to the last row.
func (r *report) addNote(note string) {
	if len(r.rows) > 0 {
		last := &r.rows[len(r.rows)-1]
		last.notes = append(last.notes, note)
	}
}

// markdown renders the report.
func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Written by `%s` on %s.\n\n", strings.TrimSpace(r.command), r.started.UTC().Format("2006-01-02 15:04 MST"))
	for _, h := range r.header {
		fmt.Fprintf(&b, "* %s\n", h)
	}
	if len(r.rows) > 0 {
		b.WriteString("\n| " + strings.Join(phaseColumns, " | ") + " |\n|---|")
		b.WriteString(strings.Repeat("---:|", len(phaseColumns)-1) + "\n")
		var notes []string
		for _, row := range r.rows {
			cells := make([]string, len(row.cells))
			for i, c := range row.cells {
				cells[i] = strings.ReplaceAll(c, "|", `\|`)
			}
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
			for _, n := range row.notes {
				notes = append(notes, fmt.Sprintf("%s, clients %s: %s", row.cells[0], row.cells[1], n))
			}
		}
		if len(notes) > 0 {
			b.WriteString("\n")
			for _, n := range notes {
				fmt.Fprintf(&b, "* %s\n", n)
			}
		}
	}
	if len(r.text) > 0 {
		b.WriteString("\n```text\n" + strings.Join(r.text, "\n") + "\n```\n")
	}
	return b.String()
}

func docMarkers(kind string) (begin, end string) {
	return "<!-- bench:" + kind + " -->", "<!-- /bench:" + kind + " -->"
}

// markerLine returns the offset of the first line of doc that is marker
// alone, and how many such lines there are. Prose that quotes a marker
// inside a line is not one.
func markerLine(doc []byte, marker string) (offset, count int) {
	offset = -1
	for start := 0; start < len(doc); {
		line := doc[start:]
		if k := bytes.IndexByte(line, '\n'); k >= 0 {
			line = line[:k]
		}
		if string(bytes.TrimRight(line, " \r")) == marker {
			if count == 0 {
				offset = start
			}
			count++
		}
		start += len(line) + 1
	}
	return offset, count
}

// replaceBlock returns doc with what lies between kind's markers replaced
// by body; it fails when the markers are missing, repeated or out of order.
func replaceBlock(doc []byte, kind, body string) ([]byte, error) {
	begin, end := docMarkers(kind)
	i, beginLines := markerLine(doc, begin)
	j, endLines := markerLine(doc, end)
	if beginLines != 1 || endLines != 1 || j < i {
		return nil, fmt.Errorf("the document needs one %s line and, after it, one %s line", begin, end)
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(begin)])
	out.WriteString("\n" + body)
	out.Write(doc[j:])
	return out.Bytes(), nil
}

// checkDoc fails early, before a run of many minutes, when path cannot
// take a report of this kind.
func checkDoc(path, kind string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = replaceBlock(doc, kind, "")
	return err
}

// writeDoc puts the report between kind's markers in path.
func (r *report) writeDoc(path, kind string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := replaceBlock(doc, kind, r.markdown())
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
