package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a server process this program started; it is only ever
// signalled through its own *os.Process, never by name.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// procEnv is added to the environment of every server process started
// (-server-env, e.g. GOGC=400 to try a GC setting).
var procEnv []string

// started lists every process this program started, so that an
// interrupted run (SIGINT, SIGTERM) stops them instead of leaving them
// behind; see stopOnSignal.
var (
	startedMu sync.Mutex
	started   []*proc
	// removeOnSignal is the temporary working directory, removed too.
	removeOnSignal string
)

// stopOnSignal stops every started process when the benchmark itself is
// interrupted, then exits.
func stopOnSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "bench: %s: stopping the clusters\n", s)
		startedMu.Lock()
		for _, p := range started {
			p.kill()
		}
		if removeOnSignal != "" {
			os.RemoveAll(removeOnSignal)
		}
		startedMu.Unlock()
		os.Exit(1)
	}()
}

func startProc(name, logPath string, bin string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), procEnv...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	startedMu.Lock()
	started = append(started, p)
	startedMu.Unlock()
	go func() {
		cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) alive() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	if !p.alive() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks politely, then kills after a grace period.
func (p *proc) stop() {
	if !p.alive() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// procFile reads /proc/PID/name of the running process ("" once it has
// exited).
func (p *proc) procFile(name string) string {
	if !p.alive() {
		return ""
	}
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), name))
	return string(b)
}

// rssBytes is the process's resident set size from /proc.
func (p *proc) rssBytes() int64 {
	for _, line := range strings.Split(p.procFile("status"), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// waitTCP waits until something accepts connections on addr.
func waitTCP(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s", addr, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// portsFree fails early when a port the benchmark needs is taken, rather
// than benchmarking someone else's server.
func portsFree(ports ...int) error {
	for _, p := range ports {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return fmt.Errorf("port %d is in use (choose other ports with -iamd-port / -etcd-port): %w", p, err)
		}
		ln.Close()
	}
	return nil
}

// usage is what a process has used so far, from /proc/PID/stat.
type usage struct {
	user, system time.Duration
	minorFaults  int64 // page faults served without I/O: first touches of memory
}

func (p *proc) usage() usage { return parseStat(p.procFile("stat")) }

// parseStat reads /proc/PID/stat. The command name, field 2, is in
// parentheses and may hold spaces and parentheses itself, so the fields
// are counted from the last ')'. minflt is field 10; utime and stime are
// fields 14 and 15, in clock ticks of 1/100 s (Linux's USER_HZ).
func parseStat(stat string) usage {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return usage{}
	}
	f := strings.Fields(stat[end+1:]) // f[0] is field 3
	if len(f) < 13 {
		return usage{}
	}
	field := func(n int) int64 {
		v, _ := strconv.ParseInt(f[n-3], 10, 64)
		return v
	}
	const tick = 10 * time.Millisecond
	return usage{user: time.Duration(field(14)) * tick, system: time.Duration(field(15)) * tick, minorFaults: field(10)}
}

// cpuTime is the user+system CPU time the process has used so far.
func (p *proc) cpuTime() time.Duration {
	u := p.usage()
	return u.user + u.system
}

// selfCPUTime is the CPU time this process (the load generator) has used.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
