//go:build faults

package faults

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clientFrom is an HTTP client whose connections come from ip (any
// 127.0.0.0/8 address is local on Linux), so that a test can be several
// clients for the per-client limits.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 512}}
}

func doFrom(cl *http.Client, n *node, token, method, path, body string) (int, error) {
	req, _ := http.NewRequest(method, "http://"+n.api+path, strings.NewReader(body))
	req.Header.Set("X-Vault-Token", token)
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestConnectionFloodAndSlowClients opens thousands of idle connections and
// slowloris connections (headers or body one byte at a time) against one
// node, then floods it from one client address: the node must stay up,
// close the slow connections after its timeouts, refuse the flooding
// client beyond its share (429) and keep answering another client.
// IAMD_FAULTS_CONNECTIONS (default 3000) sets the number of idle
// connections.
func TestConnectionFloodAndSlowClients(t *testing.T) {
	c := singleNodeWith(t, nodeOptions{listenerExtra: `http_read_header_timeout = "2s"
  http_read_timeout = "3s"
  client_max_concurrent_requests = 16`})
	n := c.nodes[0]
	other := clientFrom("127.0.0.3")
	if st, err := doFrom(other, n, c.root, http.MethodGet, "/v1/sys/auth", ""); err != nil || st != 200 {
		t.Fatalf("before: %d %v", st, err)
	}

	// Idle connections that never send a byte, and slow ones.
	total := envInt("IAMD_FAULTS_CONNECTIONS", 3000)
	var conns []net.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	var dialErrs atomic.Int64
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.4")}, Timeout: 5 * time.Second}
			for {
				mu.Lock()
				if len(conns) >= total {
					mu.Unlock()
					return
				}
				mu.Unlock()
				cn, err := d.Dial("tcp", n.api)
				if err != nil {
					if dialErrs.Add(1) > 100 {
						return
					}
					continue
				}
				mu.Lock()
				conns = append(conns, cn)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	opened := time.Now()
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	slowHeaders := slowConns(t, n, 50, "GET /v1/sys/auth HTTP/1.1\r\nHost: x\r\nX-Vault-Token: "+c.root+"\r\nX-Slow: "+strings.Repeat("a", 200))
	slowBodies := slowConns(t, n, 50, "POST /v1/identity/entity/name/slow HTTP/1.1\r\nHost: x\r\nX-Vault-Token: "+c.root+
		"\r\nContent-Length: 100000\r\n\r\n{\"metadata\":{\"v\":\""+strings.Repeat("b", 100))
	t.Logf("%d idle connections open (%d dial errors), 50 slow-header and 50 slow-body connections", len(conns), dialErrs.Load())

	// Another client is served meanwhile.
	start := time.Now()
	if st, err := doFrom(other, n, c.root, http.MethodGet, "/v1/sys/auth", ""); err != nil || st != 200 {
		t.Fatalf("another client during the connection flood: %d %v", st, err)
	}
	t.Logf("another client answered in %s during the flood", time.Since(start).Round(time.Millisecond))

	// The server closes idle and slow connections after its timeouts.
	time.Sleep(time.Until(opened.Add(5 * time.Second)))
	if open := stillOpen(conns, 500); open > 0 {
		t.Errorf("%d of %d sampled idle connections still open 5 s after a 2 s header timeout", open, min(500, len(conns)))
	}
	if open := stillOpen(slowHeaders.conns, 50); open > 0 {
		t.Errorf("%d slow-header connections still open despite the 2 s header timeout", open)
	}
	if open := stillOpen(slowBodies.conns, 50); open > 0 {
		t.Errorf("%d slow-body connections still open despite the 3 s read timeout", open)
	}
	slowHeaders.stop()
	slowBodies.stop()

	// One client floods with writes; another keeps writing.
	flooder := clientFrom("127.0.0.2")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	var ok, throttled, other429 atomic.Int64
	var fw sync.WaitGroup
	for i := 0; i < 200; i++ {
		fw.Add(1)
		go func(i int) {
			defer fw.Done()
			for j := 0; ctx.Err() == nil; j++ {
				st, _ := doFrom(flooder, n, c.root, http.MethodPost, fmt.Sprintf("/v1/identity/entity/name/flood-%d-%d", i, j), "{}")
				switch st {
				case 200, 204:
					ok.Add(1)
				case 429:
					throttled.Add(1)
				}
			}
		}(i)
	}
	var lat []time.Duration
	for k := 0; ctx.Err() == nil; k++ {
		s := time.Now()
		st, err := doFrom(other, n, c.root, http.MethodPost, fmt.Sprintf("/v1/identity/entity/name/other-%d", k), "{}")
		lat = append(lat, time.Since(s))
		if st == 429 {
			other429.Add(1)
		} else if err != nil || st/100 != 2 {
			t.Errorf("the other client's write during the flood: %d %v", st, err)
		}
	}
	fw.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("flooding client: %d writes accepted, %d refused with 429; other client: %d writes, p50 %s, max %s, %d refused",
		ok.Load(), throttled.Load(), len(lat), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), other429.Load())
	if throttled.Load() == 0 {
		t.Error("200 concurrent writers from one address were never throttled (client_max_concurrent_requests = 16)")
	}
	if other429.Load() > 0 {
		t.Error("the other client was throttled by the flooder's limit")
	}
	if !n.running() {
		t.Fatalf("the node died:\n%s", n.logTail(3000))
	}
	if st, err := doFrom(other, n, c.root, http.MethodGet, "/v1/sys/auth", ""); err != nil || st != 200 {
		t.Fatalf("after: %d %v", st, err)
	}
}

// slow is a set of connections that send a request one byte every 300 ms.
type slow struct {
	conns []net.Conn
	done  chan struct{}
}

func (s *slow) stop() {
	close(s.done)
	for _, c := range s.conns {
		c.Close()
	}
}

func slowConns(t *testing.T, n *node, count int, request string) *slow {
	s := &slow{done: make(chan struct{})}
	for i := 0; i < count; i++ {
		cn, err := net.Dial("tcp", n.api)
		if err != nil {
			t.Fatal(err)
		}
		s.conns = append(s.conns, cn)
		go func() {
			for j := 0; j < len(request); j++ {
				select {
				case <-s.done:
					return
				case <-time.After(300 * time.Millisecond):
				}
				if _, err := cn.Write([]byte{request[j]}); err != nil {
					return
				}
			}
		}()
	}
	return s
}

// stillOpen counts, among the first sample connections, those the server
// has not closed: reading them (anything the server sent, then EOF or a
// reset) does not end within 2 s.
func stillOpen(conns []net.Conn, sample int) int {
	open := 0
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, cn := range conns[:min(sample, len(conns))] {
		wg.Add(1)
		go func(cn net.Conn) {
			defer wg.Done()
			cn.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err := io.Copy(io.Discard, cn)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				mu.Lock()
				open++
				mu.Unlock()
			}
		}(cn)
	}
	wg.Wait()
	return open
}
