package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Brute-force protection of signing keys (spec/account-security.md §1.3):
// 4 failed signatures in a row for one access key lock it for 1 minute,
// every further 4 add a minute, up to 10. The counters are decided here,
// in Apply, so that a lock holds on every node; a success resets them.

// Lockout schedule.
const (
	SigFailuresPerStep = 4
	SigLockStep        = time.Minute
	SigLockMax         = 10 * time.Minute
)

const (
	CmdRecordSigFailure CommandType = 527
	CmdResetSigFailures CommandType = 528
)

// SigFailures counts an access key's failed signatures since its last
// success.
type SigFailures struct {
	AccessKeyID string
	Count       int
	LockedUntil time.Time
}

const tableSigFailures = "sig_failures"

func init() {
	registerTable[SigFailures](&memdb.TableSchema{
		Name:    tableSigFailures,
		Indexes: map[string]*memdb.IndexSchema{"id": idIndex("AccessKeyID")},
	})
	register(CmdRecordSigFailure, "record-signature-failure", applyRecordSigFailure)
	register(CmdResetSigFailures, "reset-signature-failures", applyResetSigFailures)
}

// RecordSigFailure counts one failed signature at Now. A failure while
// the key is locked is not counted (the request was refused unverified).
type RecordSigFailure struct {
	AccessKeyID string
	Now         time.Time
}

func applyRecordSigFailure(tx *txn, env Env, cmd *RecordSigFailure) (any, error) {
	f := SigFailures{AccessKeyID: cmd.AccessKeyID}
	if cur := first[SigFailures](tx, tableSigFailures, "id", cmd.AccessKeyID); cur != nil {
		f = *cur
	}
	if cmd.Now.Before(f.LockedUntil) {
		return &f, nil
	}
	f.Count++
	if f.Count%SigFailuresPerStep == 0 {
		d := time.Duration(f.Count/SigFailuresPerStep) * SigLockStep
		if d > SigLockMax {
			d = SigLockMax
		}
		f.LockedUntil = cmd.Now.Add(d)
	}
	if err := insert(tx, tableSigFailures, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// ResetSigFailures clears a key's counter after a good signature at Now.
// A lock in force at Now stays: the good signature was verified by a node
// that had not yet applied the lock, and must not lift a lock decided
// earlier in the log.
type ResetSigFailures struct {
	AccessKeyID string
	Now         time.Time
}

func applyResetSigFailures(tx *txn, env Env, cmd *ResetSigFailures) (any, error) {
	if cur := first[SigFailures](tx, tableSigFailures, "id", cmd.AccessKeyID); cur != nil && cmd.Now.Before(cur.LockedUntil) {
		return nil, nil
	}
	_, err := tx.DeleteAll(tableSigFailures, "id", cmd.AccessKeyID)
	return nil, err
}

// SigFailures returns a key's failure counter, or nil.
func (s *State) SigFailures(keyID string) *SigFailures {
	return first[SigFailures](s.tx, tableSigFailures, "id", keyID)
}
