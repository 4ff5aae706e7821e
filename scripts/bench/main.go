// Command bench measures iamd against etcd on the same machine in the
// same run: it brings up a 3-node iamd cluster (from the binary built from
// this checkout) and a 3-member etcd cluster (Debian's etcd-server,
// installed when missing) on 127.0.0.1, runs closed-loop phases at 1, 16
// and 64 clients and prints ops/s, p50, p99 and the ratio to the etcd
// counterpart. See docs/benchmarks.md.
//
//	go run ./scripts/bench                      # every phase, 5 s each
//	go run ./scripts/bench -duration=2s -phases=read,noop
//	go run ./scripts/bench -phases=read,noop -sign-per-request   # the client signs during the run
//	go run ./scripts/bench -scale -scale-users=1000000
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type options struct {
	duration       time.Duration
	clients        []int
	phases         map[string]bool
	iamdPort       int
	etcdPort       int
	dir            string
	keep           bool
	users          int
	failoverRounds int
	scale          bool
	scaleUsers     int
	profile        string
	leaderOnly     bool
	signPerRequest bool
	doc            string
	collectFirst   bool
}

func main() {
	var o options
	var clients, phases string
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each phase at each client count")
	flag.StringVar(&clients, "clients", "1,16,64", "comma-separated concurrent client counts")
	flag.StringVar(&phases, "phases", "noop,read,vault,write,failover", "phases to run: noop, read, vault, write, failover")
	flag.IntVar(&o.iamdPort, "iamd-port", 19200, "API port of iamd node1 (node i: +10*(i-1); raft +1, gossip +2)")
	flag.IntVar(&o.etcdPort, "etcd-port", 19400, "client port of etcd member 1 (member i: +10*(i-1); peer +1)")
	flag.StringVar(&o.dir, "dir", "", "working directory (default: a new temporary one, removed afterwards)")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory and logs")
	flag.IntVar(&o.users, "users", 1000, "users (and etcd keys) that reads pick from")
	flag.IntVar(&o.failoverRounds, "failover-rounds", 5, "leader kills per system; the median is reported")
	flag.BoolVar(&o.scale, "scale", false, "run the scale phase instead of the others (-scale-users users with one access key each)")
	flag.IntVar(&o.scaleUsers, "scale-users", 1_000_000, "users in the scale phase")
	flag.StringVar(&o.profile, "profile", "", "during the last client count's run of the phase whose name contains this (e.g. GetUser; with -scale, any value: every read window), save a CPU profile of every iamd node, the run's length less 1 s: the leader's to DIR/cpu-PHASE.pprof, the others' to DIR/cpu-PHASE-NODE.pprof")
	flag.BoolVar(&o.leaderOnly, "leader-only", false, "send every iamd request to the leader (shows what forwarding costs)")
	flag.BoolVar(&o.signPerRequest, "sign-per-request", false, "sign each signed-read GetUser during the run instead of sending a pool of requests signed just before it")
	flag.StringVar(&o.doc, "doc", "", "write the results into this Markdown file, between its <!-- bench:phases --> and <!-- /bench:phases --> lines (bench:scale with -scale)")
	flag.BoolVar(&o.collectFirst, "collect-first", false, "scale phase: run a full collection on every node just before each read window, so that a window shorter than the Go runtime's periodic collection (every 2 minutes) holds none")
	serverEnv := flag.String("server-env", "", "space-separated VAR=value added to the iamd and etcd processes' environment (e.g. GOGC=400)")
	flag.Parse()
	procEnv = strings.Fields(*serverEnv)
	for _, f := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad client count %q\n", f)
			os.Exit(2)
		}
		o.clients = append(o.clients, n)
	}
	o.phases = map[string]bool{}
	for _, p := range strings.Split(phases, ",") {
		o.phases[strings.TrimSpace(p)] = true
	}
	if o.phases["read"] && !o.signPerRequest && o.duration > maxPoolAge {
		fmt.Fprintf(os.Stderr, "-duration over %s needs -sign-per-request: requests signed ahead would expire (SigV4 allows 15 minutes)\n", maxPoolAge)
		os.Exit(2)
	}
	stopOnSignal()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "iamd")); err != nil {
		return fmt.Errorf("run from the repository root (go run ./scripts/bench)")
	}
	docKind := "phases"
	if o.scale {
		docKind = "scale"
	}
	if o.doc != "" {
		if err := checkDoc(o.doc, docKind); err != nil {
			return fmt.Errorf("-doc %s: %w", o.doc, err)
		}
	}
	etcdBin, err := ensureEtcd()
	if err != nil {
		return err
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "iamd-bench-"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(dir)
			startedMu.Lock()
			removeOnSignal = dir
			startedMu.Unlock()
		}
	}
	fmt.Fprintf(os.Stderr, "working directory %s\n", dir)
	bin, err := buildIamd(root, dir)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 1024}, Timeout: 30 * time.Second}
	machine(etcdBin, bin)
	if err := runSystems(o, root, dir, bin, etcdBin, client); err != nil {
		return err
	}
	if o.doc == "" {
		return nil
	}
	if err := rep.writeDoc(o.doc, docKind); err != nil {
		return fmt.Errorf("-doc %s: %w", o.doc, err)
	}
	fmt.Fprintf(os.Stderr, "results written into %s\n", o.doc)
	return nil
}

// runSystems runs the scale phase, or brings up both clusters and runs the
// other phases.
func runSystems(o options, root, dir, bin, etcdBin string, client *http.Client) error {
	if o.scale {
		return runScale(o, root, dir, bin, client)
	}

	ic := newIamdCluster(bin, dir, o.iamdPort, client)
	defer ic.down()
	if err := ic.up(); err != nil {
		return fmt.Errorf("iamd cluster: %w (logs in %s)", err, dir)
	}
	ec, err := newEtcdCluster(etcdBin, dir, o.etcdPort)
	if ec != nil {
		defer ec.down()
	}
	if err != nil {
		return fmt.Errorf("etcd cluster: %w (logs in %s)", err, dir)
	}
	b := &bench{o: o, ic: ic, ec: ec, dir: dir}
	if o.leaderOnly {
		ic.pin = ic.leader()
	}
	if err := b.setup(); err != nil {
		return err
	}
	b.runPhases()
	if o.phases["failover"] {
		b.failover()
	}
	return nil
}

func machine(etcdBin, iamdBin string) {
	rep.header = []string{
		fmt.Sprintf("machine: %d cores (GOMAXPROCS %d), %s RAM, %s, transparent huge pages: %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), cpuModel(), hugePages()),
		fmt.Sprintf("versions: %s, etcd %s, iamd %s", runtime.Version(), etcdVersion(etcdBin), gitRev()),
	}
	fmt.Printf("%s\n%s\n\n", rep.header[0], rep.header[1])
}
