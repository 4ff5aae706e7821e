// Package limit bounds the requests a node works on at once: overall (a
// slot is awaited briefly, then 503) and per client, keyed by the remote IP
// (in-flight requests and an optional rate, beyond which 429), so that one
// client's flood does not starve the others. Node-to-node calls and health
// checks are never limited. Answers are rendered in the dialect of the
// request (Vault JSON under /v1/, an AWS error document elsewhere).
// Imports the standard library and golang.org/x/time/rate only.
package limit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config of a Limiter; zero values disable the limit they name.
type Config struct {
	MaxConcurrent       int           // requests in progress on the node
	QueueWait           time.Duration // how long a request waits for a slot
	ClientMaxConcurrent int           // requests in progress per client IP
	ClientRate          float64       // requests per second per client IP
	ClientBurst         int           // bucket size for ClientRate
}

// Limiter is an http.Handler that applies Config in front of another.
type Limiter struct {
	cfg  Config
	next http.Handler
	sem  chan struct{}

	mu        sync.Mutex
	clients   map[string]*client
	lastSweep time.Time
}

type client struct {
	inflight int
	bucket   *rate.Limiter
	seen     time.Time
}

// New wraps next.
func New(cfg Config, next http.Handler) *Limiter {
	l := &Limiter{cfg: cfg, next: next, clients: map[string]*client{}, lastSweep: time.Now()}
	if cfg.MaxConcurrent > 0 {
		l.sem = make(chan struct{}, cfg.MaxConcurrent)
	}
	return l
}

// exempt requests are never limited: node-to-node calls (a follower
// forwards many clients' writes from one address) and health checks.
func exempt(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/v1/sys/internal/cluster/") || p == "/v1/sys/health"
}

func (l *Limiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if exempt(r) {
		l.next.ServeHTTP(w, r)
		return
	}
	ip := clientIP(r)
	if msg := l.admit(ip); msg != "" {
		w.Header().Set("Retry-After", "1")
		reject(w, r, http.StatusTooManyRequests, "Throttling", msg)
		return
	}
	defer l.release(ip)
	if l.sem != nil {
		select {
		case l.sem <- struct{}{}:
		default:
			t := time.NewTimer(l.cfg.QueueWait)
			select {
			case l.sem <- struct{}{}:
				t.Stop()
			case <-t.C:
				w.Header().Set("Retry-After", "1")
				reject(w, r, http.StatusServiceUnavailable, "ServiceUnavailable",
					"server busy: too many requests in progress, retry later")
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-l.sem }()
	}
	l.next.ServeHTTP(w, r)
}

// admit counts a request of ip in, or says why it is refused.
func (l *Limiter) admit(ip string) string {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	c := l.clients[ip]
	if c == nil {
		c = &client{}
		if l.cfg.ClientRate > 0 {
			burst := l.cfg.ClientBurst
			if burst < 1 {
				burst = max(1, int(2*l.cfg.ClientRate))
			}
			c.bucket = rate.NewLimiter(rate.Limit(l.cfg.ClientRate), burst)
		}
		l.clients[ip] = c
	}
	c.seen = now
	if l.cfg.ClientMaxConcurrent > 0 && c.inflight >= l.cfg.ClientMaxConcurrent {
		return "too many requests in progress from this client, retry later"
	}
	if c.bucket != nil && !c.bucket.AllowN(now, 1) {
		return "rate exceeded for this client, retry later"
	}
	c.inflight++
	return ""
}

func (l *Limiter) release(ip string) {
	l.mu.Lock()
	if c := l.clients[ip]; c != nil {
		c.inflight--
	}
	l.mu.Unlock()
}

// sweep forgets clients idle for a while, at most once a minute. The
// caller holds mu.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for ip, c := range l.clients {
		if c.inflight == 0 && now.Sub(c.seen) > 5*time.Minute {
			delete(l.clients, ip)
		}
	}
}

// clientIP is the peer address: X-Forwarded-For is not trusted, since any
// client could send it to dodge its limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// reject answers in the dialect of the request.
func reject(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string][]string{"errors": {msg}})
		return
	}
	type awsError struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	var id [16]byte
	rand.Read(id[:])
	doc := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     awsError `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Error: awsError{Type: "Sender", Code: code, Message: msg}, RequestID: hex.EncodeToString(id[:])}
	if status >= 500 {
		doc.Error.Type = "Receiver"
	}
	h.Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	xml.NewEncoder(w).Encode(doc)
}
