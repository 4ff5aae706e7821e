package fsm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// Restoring a large state is mostly JSON decoding, so readSnapshot splits
// the work: one goroutine cuts the stream into lines (writeSnapshot writes
// one record per line), workers decode batches of lines in parallel, and
// the caller's goroutine inserts the rows in stream order (a memdb write
// transaction has one writer). Each record is decoded once, straight into
// its row type, rather than into a RawMessage first and again after.

const restoreBatch = 512

type restoreRow struct {
	table string
	obj   any
}

type restoreWork struct {
	lines [][]byte
	first int // line number of lines[0], for messages
	rows  []restoreRow
	err   error
	done  chan struct{}
}

func readSnapshot(r io.Reader) (*memdb.MemDB, uint64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := readLine(br)
	if err != nil {
		return nil, 0, fmt.Errorf("read header: %w", err)
	}
	var hdr snapshotHeader
	if err := json.Unmarshal(head, &hdr); err != nil {
		return nil, 0, fmt.Errorf("read header: %w", err)
	}
	if hdr.Format != snapshotFormat || hdr.Version != 1 {
		return nil, 0, fmt.Errorf("not an iamd snapshot (format %q version %d)", hdr.Format, hdr.Version)
	}

	work := make(chan *restoreWork, 2*runtime.GOMAXPROCS(0))
	ordered := make(chan *restoreWork, 2*runtime.GOMAXPROCS(0)+2)
	stop := make(chan struct{})
	var readErr error
	go func() { // cut lines
		defer close(work)
		defer close(ordered)
		line := 2
		for {
			w := &restoreWork{first: line, done: make(chan struct{})}
			for len(w.lines) < restoreBatch {
				l, err := readLine(br)
				if err == io.EOF {
					break
				}
				if err != nil {
					readErr = err
					break
				}
				line++
				if len(l) > 0 {
					w.lines = append(w.lines, l)
				}
			}
			if len(w.lines) == 0 {
				return
			}
			last := readErr != nil || len(w.lines) < restoreBatch // w belongs to a worker once sent
			select {
			case ordered <- w:
			case <-stop:
				return
			}
			work <- w
			if last {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				w.decode()
			}
		}()
	}

	db := newDB()
	tx := db.Txn(true)
	fail := func(err error) (*memdb.MemDB, uint64, error) {
		tx.Abort()
		close(stop)
		for w := range ordered { // let the reader and workers finish
			_ = w
		}
		wg.Wait()
		return nil, 0, err
	}
	for w := range ordered {
		<-w.done
		if w.err != nil {
			return fail(w.err)
		}
		for _, row := range w.rows {
			if err := tx.Insert(row.table, row.obj); err != nil {
				return fail(fmt.Errorf("table %s: %w", row.table, err))
			}
		}
	}
	wg.Wait()
	if readErr != nil {
		tx.Abort()
		return nil, 0, fmt.Errorf("read record: %w", readErr)
	}
	tx.Commit()
	return db, hdr.Index, nil
}

// readLine returns the next line without its newline; io.EOF only when
// nothing is left.
func readLine(br *bufio.Reader) ([]byte, error) {
	l, err := br.ReadBytes('\n')
	if err == io.EOF && len(l) > 0 {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(l, "\r\n"), nil
}

func (w *restoreWork) decode() {
	defer close(w.done)
	w.rows = make([]restoreRow, 0, len(w.lines))
	for i, l := range w.lines {
		table, obj, err := decodeRecord(l)
		if err != nil {
			w.err = fmt.Errorf("read record (line %d): %w", w.first+i, err)
			return
		}
		w.rows = append(w.rows, restoreRow{table, obj})
	}
	w.lines = nil
}

var recordPrefix = []byte(`{"t":"`)

// decodeRecord decodes one snapshotRecord line into a new row of its
// table. The line writeSnapshot writes is {"t":"<table>","o":<object>};
// anything else is decoded the general way.
func decodeRecord(line []byte) (string, any, error) {
	var table string
	var obj []byte
	if rest, ok := bytes.CutPrefix(line, recordPrefix); ok {
		if name, body, ok := bytes.Cut(rest, []byte(`","o":`)); ok && bytes.HasSuffix(body, []byte("}")) &&
			bytes.IndexByte(name, '\\') < 0 {
			table, obj = string(name), body[:len(body)-1]
		}
	}
	if obj == nil {
		var rec snapshotRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return "", nil, err
		}
		table, obj = rec.Table, rec.Object
	}
	def, ok := tables[table]
	if !ok {
		return "", nil, fmt.Errorf("snapshot has unknown table %q", table)
	}
	v := reflect.New(def.typ).Interface()
	if err := json.Unmarshal(obj, v); err != nil {
		return "", nil, fmt.Errorf("table %s: %w", table, err)
	}
	return table, v, nil
}
