package fsm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// writeSnapshot writes the header line, then one line per row,
// {"t":"<table>","o":<row JSON>}, table by table in id order. Encoding the
// rows is most of the work, so workers marshal batches of rows in parallel
// and the caller's goroutine writes the batches in order; the bytes are
// the same as json.Encoder would write for snapshotRecord, without
// re-scanning every row as a RawMessage. Access-key rows are written with
// their last use from uses, a frozen table (key_uses.go). Each worker
// encodes straight into its batch's buffer, and written buffers go back to
// the workers: at a million users the snapshot is ~500 MB, and a copy per
// row plus fresh buffers per batch doubled the garbage of a save.
func writeSnapshot(w io.Writer, db *memdb.MemDB, uses *keyUseTable, index uint64) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := json.NewEncoder(bw).Encode(snapshotHeader{Format: snapshotFormat, Version: 1, Index: index}); err != nil {
		return err
	}
	type batch struct {
		table string
		rows  []any
		out   *bytes.Buffer
		err   error
		done  chan struct{}
	}
	procs := runtime.GOMAXPROCS(0)
	work := make(chan *batch, 2*procs)
	ordered := make(chan *batch, 2*procs+2)
	// At most cap(ordered)+1 batches are in flight, so that many buffers
	// are ever needed; a worker takes one when it starts a batch.
	buffers := make(chan *bytes.Buffer, cap(ordered)+1)
	stop := make(chan struct{})
	var iterErr error
	go func() { // collect rows
		defer close(work)
		defer close(ordered)
		tx := db.Txn(false)
		for _, name := range tableNames() {
			it, err := tx.Get(name, "id")
			if err != nil {
				iterErr = fmt.Errorf("snapshot table %s: %w", name, err)
				return
			}
			obj := it.Next()
			for obj != nil {
				b := &batch{table: name, rows: make([]any, 0, restoreBatch), done: make(chan struct{})}
				for ; obj != nil && len(b.rows) < restoreBatch; obj = it.Next() {
					b.rows = append(b.rows, obj)
				}
				select {
				case ordered <- b:
				case <-stop:
					return
				}
				work <- b
			}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				select {
				case b.out = <-buffers:
				default:
					b.out = new(bytes.Buffer)
				}
				// json.Encoder writes what json.Marshal returns, then a
				// newline, which the record's closing brace replaces.
				enc := json.NewEncoder(b.out)
				name, _ := json.Marshal(b.table)
				prefix := append(append([]byte(`{"t":`), name...), `,"o":`...)
				for _, obj := range b.rows {
					b.out.Write(prefix)
					if err := enc.Encode(uses.withUse(obj)); err != nil {
						b.err = fmt.Errorf("snapshot table %s: %w", b.table, err)
						break
					}
					b.out.Truncate(b.out.Len() - 1)
					b.out.WriteString("}\n")
				}
				b.rows = nil
				close(b.done)
			}
		}()
	}
	var err error
	for b := range ordered {
		if err != nil {
			continue // drain so the collector and workers can finish
		}
		<-b.done
		if b.err != nil {
			err = b.err
			close(stop)
			continue
		}
		if _, werr := bw.Write(b.out.Bytes()); werr != nil {
			err = werr
			close(stop)
		}
		b.out.Reset()
		select {
		case buffers <- b.out:
		default:
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	if iterErr != nil {
		return iterErr
	}
	return bw.Flush()
}
