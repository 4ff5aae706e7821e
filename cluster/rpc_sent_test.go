package cluster

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A peer that receives a forwarded request and dies before answering may
// have applied it. net/http then resends the request (Idempotency-Key) on
// a new connection, whose dial fails: that dial error must not be taken
// for "never sent", or a follower answers "no active iamd node found"
// (documented as not applied) for a write that was applied. Found by
// test/faults.
func TestDialErrorAfterTheRequestWasSentIsNotNeverSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		br := bufio.NewReader(c)
		// First request: answered, so the connection is pooled.
		if req, err := http.ReadRequest(br); err == nil {
			io.Copy(io.Discard, req.Body)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
		// Second request: received in full, then the peer dies.
		if req, err := http.ReadRequest(br); err == nil {
			io.Copy(io.Discard, req.Body)
		}
		ln.Close()
		c.Close()
	}()
	client := &http.Client{Transport: &http.Transport{}}
	post := func() (*http.Response, error, bool, bool) {
		req, _ := http.NewRequest(http.MethodPost, addr+"/v1/sys/internal/cluster/apply", strings.NewReader("entry"))
		req.Header.Set("Idempotency-Key", "nonce")
		req, sent := traceSent(req)
		resp, err := client.Do(req)
		var op *net.OpError
		return resp, err, errors.As(err, &op) && op.Op == "dial", err != nil && neverSent(err, sent)
	}
	resp, err, _, _ := post()
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	_, err, dialErr, never := post()
	if err == nil {
		t.Fatal("the dead peer answered")
	}
	if !dialErr {
		t.Skipf("net/http did not resend the request this time (%v): nothing to check", err)
	}
	if never {
		t.Fatalf("request received by the peer classified as never sent: %v", err)
	}

	// A peer that was never reachable: never sent.
	req, _ := http.NewRequest(http.MethodPost, addr+"/x", strings.NewReader("entry"))
	req, sent := traceSent(req)
	if _, err := client.Do(req); err == nil || !neverSent(err, sent) {
		t.Fatalf("dial to a closed port: %v (never sent = false)", err)
	}
}
