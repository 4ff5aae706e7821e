package config

import "time"

// Defaults of the listener's request limits and HTTP timeouts (the
// timeouts are Vault's defaults).
const (
	DefaultMaxConcurrentRequests       = 2048
	DefaultClientMaxConcurrentRequests = 256
	DefaultHTTPReadHeaderTimeout       = 10 * time.Second
	DefaultHTTPReadTimeout             = 30 * time.Second
	DefaultHTTPIdleTimeout             = 5 * time.Minute
)

// HTTPTimeouts are the listener's http.Server timeouts.
type HTTPTimeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// DefaultHTTPTimeouts are used in dev mode and for unset keys. No write
// timeout: a snapshot download may take long.
var DefaultHTTPTimeouts = HTTPTimeouts{ReadHeader: DefaultHTTPReadHeaderTimeout, Read: DefaultHTTPReadTimeout, Idle: DefaultHTTPIdleTimeout}

// Timeouts returns the configured timeouts, defaults for unset keys.
func (l *Listener) Timeouts() HTTPTimeouts {
	t := DefaultHTTPTimeouts
	for _, f := range []struct {
		s   string
		dst *time.Duration
	}{{l.HTTPReadHeaderTimeout, &t.ReadHeader}, {l.HTTPReadTimeout, &t.Read}, {l.HTTPWriteTimeout, &t.Write}, {l.HTTPIdleTimeout, &t.Idle}} {
		if d, err := time.ParseDuration(f.s); err == nil {
			*f.dst = d
		}
	}
	return t
}

func (l *Listener) validateLimits(v *validator) {
	for _, f := range []struct{ key, val string }{
		{"http_read_header_timeout", l.HTTPReadHeaderTimeout}, {"http_read_timeout", l.HTTPReadTimeout},
		{"http_write_timeout", l.HTTPWriteTimeout}, {"http_idle_timeout", l.HTTPIdleTimeout},
	} {
		if f.val == "" {
			continue
		}
		if d, err := time.ParseDuration(f.val); err != nil || d < 0 {
			v.fail("listener", f.key, "%s %q must be a duration such as \"30s\" (0 for none)", f.key, f.val)
		}
	}
	if l.MaxConcurrentRequests < 0 || l.ClientMaxConcurrentRequests < 0 || l.ClientRequestsPerSecond < 0 || l.ClientBurst < 0 {
		v.fail("listener", "max_concurrent_requests", "request limits must not be negative")
	}
}

func (l *Listener) limitDefaults() {
	if l.MaxConcurrentRequests == 0 {
		l.MaxConcurrentRequests = DefaultMaxConcurrentRequests
	}
	if l.ClientMaxConcurrentRequests == 0 {
		l.ClientMaxConcurrentRequests = DefaultClientMaxConcurrentRequests
	}
}
