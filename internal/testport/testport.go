// Package testport picks 127.0.0.1 ports for tests that start nodes whose
// addresses must be known before they bind (raft, gossip, API in config
// files). Imports only the standard library.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
)

// Ports come from below Linux's ephemeral range (32768-60999): a port
// obtained by listening on :0 and released can be taken by any outgoing
// connection before the node binds it again, which clusters of test nodes
// opening many connections make likely. The range is cut into blocks and
// each test process walks its own block (chosen by PID) from a random
// start, so the packages `go test ./...` runs at the same time rarely pick
// the same port between checking it and binding it, and one process never
// hands out a port twice while its block lasts.
const (
	rangeStart = 20000
	blockSize  = 1000
	blocks     = 12
)

var next struct {
	sync.Mutex
	block, offset int
	started       bool
}

func nextPort() int {
	next.Lock()
	defer next.Unlock()
	if !next.started {
		next.block = os.Getpid() % blocks
		next.offset = rand.IntN(blockSize)
		next.started = true
	}
	next.offset = (next.offset + 1) % blockSize
	return rangeStart + next.block*blockSize + next.offset
}

// Addr returns a 127.0.0.1 address free for both TCP and UDP (memberlist
// binds both).
func Addr(t testing.TB) string {
	t.Helper()
	for i := 0; i < blockSize; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", nextPort())
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		udp, err := net.ListenPacket("udp", addr)
		ln.Close()
		if err != nil {
			continue
		}
		udp.Close()
		return addr
	}
	t.Fatal("no free port")
	return ""
}
