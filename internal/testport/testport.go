// Package testport picks 127.0.0.1 ports for tests that start nodes whose
// addresses must be known before they bind (raft, gossip, API in config
// files). Imports only the standard library.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// Addr returns a 127.0.0.1 address free for both TCP and UDP (memberlist
// binds both), chosen below Linux's ephemeral range (32768-60999): a port
// obtained by listening on :0 and released can be taken by any outgoing
// connection before the node binds it again, which clusters of test nodes
// opening many connections make likely.
func Addr(t testing.TB) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
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
