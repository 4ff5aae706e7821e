package fsm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"sync"
)

// auditFiles appends applied entries to the enabled file devices of this
// node. Each device path remembers the last Seq it holds, read back from the
// file when it is first opened, so entries replayed from the Raft log after
// a restart are not written twice.
type auditFiles struct {
	mu    sync.Mutex
	files map[string]*auditFile
	// LastError is the last write failure, for status reads; writing never
	// fails an apply (the entry is in the FSM regardless).
	lastErr error
}

type auditFile struct {
	f       *os.File
	lastSeq uint64
}

// exportAudit writes committed entries to the file devices among devices.
// Apply runs on one goroutine; the mutex guards against Restore and status
// reads.
func (f *FSM) exportAudit(devices []*AuditDevice, entries []*AuditEntry) {
	if len(devices) == 0 || len(entries) == 0 {
		return
	}
	w := &f.audit
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range devices {
		path := d.Options["file_path"]
		if d.Type != "file" || path == "" {
			continue
		}
		af, err := w.open(path)
		if err != nil {
			w.lastErr = err
			continue
		}
		var buf bytes.Buffer
		for _, e := range entries {
			if e.Seq <= af.lastSeq {
				continue
			}
			raw, _ := json.Marshal(e)
			buf.Write(raw)
			buf.WriteByte('\n')
			af.lastSeq = e.Seq
		}
		if buf.Len() > 0 {
			if _, err := af.f.Write(buf.Bytes()); err != nil {
				w.lastErr = err
			}
		}
	}
}

// exportRetained writes the retained log after a snapshot restore; entries
// a file already holds are skipped.
func (f *FSM) exportRetained() {
	st := f.State()
	entries, _ := st.AuditEntries(AuditFilter{})
	f.exportAudit(st.AuditDevices(), entries)
}

func (w *auditFiles) open(path string) (*auditFile, error) {
	if af, ok := w.files[path]; ok {
		return af, nil
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	af := &auditFile{f: fh, lastSeq: lastSeqIn(fh)}
	if w.files == nil {
		w.files = map[string]*auditFile{}
	}
	w.files[path] = af
	return af, nil
}

// lastSeqIn reads the Seq of the file's last complete line (0 if none).
func lastSeqIn(fh *os.File) uint64 {
	st, err := fh.Stat()
	if err != nil || st.Size() == 0 {
		return 0
	}
	const tail = 64 << 10
	off := max(st.Size()-tail, 0)
	sc := bufio.NewScanner(io.NewSectionReader(fh, off, st.Size()-off))
	sc.Buffer(make([]byte, 0, tail), tail)
	var last uint64
	for sc.Scan() {
		var e struct {
			Seq uint64 `json:"seq"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Seq > last {
			last = e.Seq
		}
	}
	return last
}

// AuditExportError is the last file-device write failure on this node.
func (f *FSM) AuditExportError() error {
	f.audit.mu.Lock()
	defer f.audit.mu.Unlock()
	return f.audit.lastErr
}
