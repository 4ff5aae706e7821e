//go:build faults

package faults

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"iamd/internal/testport"
)

// network is the partition state shared by every node's proxy: the node
// that is cut off from the others' Raft, if any.
type network struct {
	mu       sync.Mutex
	addrs    map[string]string // node id -> advertised raft address (its proxy)
	isolated string
	proxies  []*proxy
}

func newNetwork() *network { return &network{addrs: map[string]string{}} }

func (w *network) add(id, addr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addrs[id] = addr
}

// isolate cuts node id's Raft off from every other node, in both
// directions, and closes the connections already open across the cut.
func (w *network) isolate(id string) {
	w.mu.Lock()
	w.isolated = id
	proxies := append([]*proxy(nil), w.proxies...)
	w.mu.Unlock()
	for _, p := range proxies {
		p.enforce()
	}
}

func (w *network) heal() { w.isolate("") }

// allowed says whether a connection from sender to owner's Raft may pass.
// sender is "" when it could not be told from the first bytes.
func (w *network) allowed(sender, owner string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.isolated == "" {
		return true
	}
	return owner != w.isolated && sender != w.isolated
}

// sender finds which node opened a Raft connection from its first bytes:
// every hashicorp/raft RPC starts with an RPCHeader carrying the sender's
// advertised address, before any other address the request may hold.
func (w *network) sender(first []byte) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	best, at := "", len(first)
	for id, addr := range w.addrs {
		for off := 0; ; {
			i := bytes.Index(first[off:], []byte(addr))
			if i < 0 {
				break
			}
			i += off
			end := i + len(addr)
			if end >= len(first) || first[end] < '0' || first[end] > '9' { // not a longer port
				if i < at {
					best, at = id, i
				}
				break
			}
			off = i + 1
		}
	}
	return best
}

// proxy forwards TCP connections to one node's Raft listener, dropping
// those the network's partition forbids.
type proxy struct {
	owner, addr, target string
	net                 *network
	ln                  net.Listener

	mu    sync.Mutex
	conns map[*link]struct{}
	done  bool
}

type link struct {
	sender     string
	in, out    net.Conn
	closedOnce sync.Once
}

func (l *link) close() {
	l.closedOnce.Do(func() { l.in.Close(); l.out.Close() })
}

func newProxy(t *testing.T, owner, target string, w *network) *proxy {
	addr := testport.Addr(t)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{owner: owner, addr: addr, target: target, net: w, ln: ln, conns: map[*link]struct{}{}}
	w.mu.Lock()
	w.proxies = append(w.proxies, p)
	w.mu.Unlock()
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *proxy) handle(in net.Conn) {
	// Read until the sender's address shows up (or 4 KiB, or 2 s).
	buf := make([]byte, 0, 4096)
	in.SetReadDeadline(time.Now().Add(2 * time.Second))
	sender := ""
	for len(buf) < cap(buf) {
		n, err := in.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if sender = p.net.sender(buf); sender != "" || err != nil {
			break
		}
	}
	in.SetReadDeadline(time.Time{})
	if !p.net.allowed(sender, p.owner) {
		in.Close()
		return
	}
	out, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		in.Close()
		return
	}
	l := &link{sender: sender, in: in, out: out}
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		l.close()
		return
	}
	p.conns[l] = struct{}{}
	p.mu.Unlock()
	defer func() {
		l.close()
		p.mu.Lock()
		delete(p.conns, l)
		p.mu.Unlock()
	}()
	if _, err := out.Write(buf); err != nil {
		return
	}
	// Checked again: a partition may have begun while the link was made.
	if !p.net.allowed(sender, p.owner) {
		return
	}
	go func() { io.Copy(in, out); l.close() }()
	io.Copy(out, in)
}

// enforce closes the open links the current partition forbids.
func (p *proxy) enforce() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.conns {
		if !p.net.allowed(l.sender, p.owner) {
			l.close()
		}
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.done = true
	for l := range p.conns {
		l.close()
	}
	p.mu.Unlock()
}
