//go:build faults

// Package faults holds iamd's fault tests: they build the iamd binary, run
// real three-node clusters on 127.0.0.1 and break them (SIGKILL, SIGSTOP,
// raft partitions through a TCP proxy, truncated or corrupted files), then
// check what clients saw against a model with porcupine. They sit behind
// the "faults" build tag because they take minutes:
//
//	go test -tags faults ./test/faults/                       # reduced run
//	IAMD_FAULTS_DURATION=20m IAMD_FAULTS_LEADER_KILLS=100 \
//	    go test -tags faults -timeout 60m -run Linearizable -v ./test/faults/
//
// See docs/reliability.md. Imports iamd's packages only for testport.
package faults
