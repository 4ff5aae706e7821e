package server

import (
	"context"
	"errors"
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/sigv4"
)

// Brute-force protection of access keys (fsm/sig_lockout.go): a wrong
// signature is counted through Raft, so the lock it leads to holds on
// every node; a locked key is refused before its signature is checked.

// checkKeyLock refuses a key locked by failed signatures.
func checkKeyLock(keyID string, f *fsm.SigFailures, now time.Time) error {
	if f == nil || !now.Before(f.LockedUntil) {
		return nil
	}
	secs := int(f.LockedUntil.Sub(now).Round(time.Second) / time.Second)
	return denial(DeniedLocked, "Access key %s is locked for %d second(s) after %d failed signatures in a row", keyID, max(secs, 1), f.Count)
}

// noteSigFailure counts a signature that does not match (not a request
// that is malformed or too old, which proves nothing about the secret).
func (n *Node) noteSigFailure(ctx context.Context, keyID string, err error, now time.Time) {
	var se *sigv4.Error
	if !errors.As(err, &se) || se.Code != "SignatureDoesNotMatch" {
		return
	}
	if _, aerr := n.apply(ctx, fsm.CmdRecordSigFailure, fsm.RecordSigFailure{AccessKeyID: keyID, Now: now}); aerr != nil {
		n.log.Warn("cannot record failed signature", "access_key_id", keyID, "error", aerr)
	}
}

// resetSigFailures resets a key's counter after a good signature; the
// caller writes only when the key has one (SigFailures, read before the
// check). Apply keeps a lock in force at now (decided on another node
// meanwhile).
func (n *Node) resetSigFailures(ctx context.Context, keyID string, now time.Time) {
	if _, err := n.apply(ctx, fsm.CmdResetSigFailures, fsm.ResetSigFailures{AccessKeyID: keyID, Now: now}); err != nil {
		n.log.Warn("cannot reset failed signatures", "access_key_id", keyID, "error", err)
	}
}

// expiredKey is the answer to a request signed with a key past its
// ExpirationDate (iamd refuses it; OUTSCALE kept one "ACTIVE").
func expiredKey(k *fsm.AccessKey) error {
	return iamerr.WithCode(iamerr.Unauthorized, "ExpiredToken", "The access key %s expired at %s",
		k.AccessKeyID, k.ExpirationDate.UTC().Format(time.RFC3339))
}
