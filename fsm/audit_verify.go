package fsm

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// AuditVerifyReport is what VerifyAuditLog found in a chain that holds.
type AuditVerifyReport struct {
	Entries  int
	FirstSeq uint64
	LastSeq  uint64
	HeadHash string
}

// VerifyAuditLog checks a file device's JSON lines: every entry's hash
// matches its content (an altered line), every entry names the previous
// one's hash and the next sequence number (a removed, reordered or inserted
// line). The first line is trusted as the anchor, since a device may be
// enabled after the log began; compare HeadHash with sys/audit-log's
// head_hash to detect lines cut from the end.
func VerifyAuditLog(r io.Reader) (*AuditVerifyReport, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	rep := &AuditVerifyReport{}
	var prev *AuditEntry
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			return nil, fmt.Errorf("line %d: empty line", line)
		}
		var e AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("line %d: not an audit entry: %v", line, err)
		}
		if got := AuditEntryHash(&e); got != e.Hash {
			return nil, fmt.Errorf("line %d (seq %d): altered: content hashes to %s, line says %s", line, e.Seq, got, e.Hash)
		}
		if prev != nil {
			if e.Seq != prev.Seq+1 {
				return nil, fmt.Errorf("line %d: seq %d follows seq %d: %d entries missing or out of order",
					line, e.Seq, prev.Seq, int64(e.Seq)-int64(prev.Seq)-1)
			}
			if e.Prev != prev.Hash {
				return nil, fmt.Errorf("line %d (seq %d): chain broken: prev_hash %s is not the previous entry's hash %s",
					line, e.Seq, e.Prev, prev.Hash)
			}
		} else {
			rep.FirstSeq = e.Seq
		}
		rep.Entries++
		rep.LastSeq, rep.HeadHash = e.Seq, e.Hash
		prev = &e
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return rep, nil
}
