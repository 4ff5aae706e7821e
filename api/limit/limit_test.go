package limit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// blocking is a handler that holds the requests of 10.0.0.1 until
// released.
type blocking struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.RemoteAddr, "10.0.0.1:") {
		b.entered <- struct{}{}
		<-b.release
	}
	w.WriteHeader(http.StatusNoContent)
}

func serve(h http.Handler, path, remote string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPerClientConcurrencyLeavesOthersServed(t *testing.T) {
	b := &blocking{entered: make(chan struct{}, 10), release: make(chan struct{})}
	l := New(Config{ClientMaxConcurrent: 2}, b)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); serve(l, "/v1/sys/auth", "10.0.0.1:1000") }()
		<-b.entered
	}
	w := serve(l, "/v1/sys/auth", "10.0.0.1:1001")
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `"errors"`) || w.Header().Get("Retry-After") == "" {
		t.Fatalf("third request of a busy client: %d %s", w.Code, w.Body)
	}
	aws := serve(l, "/", "10.0.0.1:1002")
	if aws.Code != http.StatusTooManyRequests || !strings.Contains(aws.Body.String(), "<Code>Throttling</Code>") {
		t.Fatalf("AWS dialect refusal: %d %s", aws.Code, aws.Body)
	}
	if w := serve(l, "/v1/sys/auth", "10.0.0.2:1000"); w.Code != http.StatusNoContent {
		t.Fatalf("another client: %d", w.Code)
	}
	internal := make(chan int)
	go func() { internal <- serve(l, "/v1/sys/internal/cluster/apply", "10.0.0.1:1003").Code }()
	select {
	case <-b.entered: // reached the handler
	case code := <-internal:
		t.Fatalf("node-to-node call refused: %d", code)
	}
	close(b.release)
	<-internal
	wg.Wait()
	if w := serve(l, "/v1/sys/auth", "10.0.0.1:1004"); w.Code != http.StatusNoContent {
		t.Fatalf("the client after its requests ended: %d", w.Code)
	}
}

func TestClientRate(t *testing.T) {
	l := New(Config{ClientRate: 5, ClientBurst: 5}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ok := 0
	for i := 0; i < 20; i++ {
		if serve(l, "/v1/x", "10.0.0.1:1").Code == http.StatusOK {
			ok++
		}
	}
	if ok < 5 || ok > 6 {
		t.Fatalf("%d of 20 immediate requests allowed with a burst of 5", ok)
	}
	if serve(l, "/v1/x", "10.0.0.9:1").Code != http.StatusOK {
		t.Fatal("another client was throttled")
	}
}

func TestGlobalSlotsWaitThen503(t *testing.T) {
	b := &blocking{entered: make(chan struct{}, 10), release: make(chan struct{})}
	l := New(Config{MaxConcurrent: 1, QueueWait: 100 * time.Millisecond}, b)
	done := make(chan struct{})
	go func() { serve(l, "/v1/x", "10.0.0.1:1"); close(done) }()
	<-b.entered
	start := time.Now()
	w := serve(l, "/v1/x", "10.0.0.2:1")
	if w.Code != http.StatusServiceUnavailable || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("no free slot: %d after %s", w.Code, time.Since(start))
	}
	health := make(chan int)
	go func() { health <- serve(l, "/v1/sys/health", "10.0.0.1:2").Code }()
	select {
	case <-b.entered: // reached the handler although every slot is taken
	case <-time.After(2 * time.Second):
		t.Fatal("health checks wait for a slot")
	}
	close(b.release)
	<-health
	<-done
}
