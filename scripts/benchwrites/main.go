// Command benchwrites measures write throughput on a running iamd cluster:
// for each client count it runs that many concurrent clients, each
// creating tokens (one Raft entry per write) through one of the nodes in
// turn, so followers forward to the leader as in real use, and prints
// writes per second and latency percentiles. scripts/bench-writes.sh
// starts a cluster for it.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

func main() {
	addrs := flag.String("addrs", "http://127.0.0.1:18200", "comma-separated node API addresses")
	token := flag.String("token", os.Getenv("IAMD_TOKEN"), "root token")
	clients := flag.String("clients", "1,16,64", "comma-separated concurrent client counts")
	duration := flag.Duration("duration", 5*time.Second, "how long each run lasts")
	flag.Parse()

	nodes := strings.Split(*addrs, ",")
	transport := &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}
	fmt.Printf("%d nodes, %s per run, writes: auth/token/create\n\n", len(nodes), *duration)
	fmt.Printf("%8s %10s %8s %10s %10s %10s\n", "clients", "writes", "errors", "writes/s", "p50", "p99")
	for _, f := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad client count %q\n", f)
			os.Exit(2)
		}
		run(nodes, *token, n, *duration, transport)
	}
}

func run(nodes []string, token string, n int, d time.Duration, tr *http.Transport) {
	var ok, failed atomic.Int64
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	start := time.Now()
	for i := 0; i < n; i++ {
		cfg := vaultapi.DefaultConfig()
		cfg.Address = nodes[i%len(nodes)]
		cfg.MaxRetries = 0
		cfg.HttpClient = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		c, err := vaultapi.NewClient(cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		c.SetToken(token)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := &vaultapi.TokenCreateRequest{Policies: []string{"default"}, TTL: "1h"}
			for time.Now().Before(stop) {
				t0 := time.Now()
				if _, err := c.Auth().Token().Create(req); err != nil {
					failed.Add(1)
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
				ok.Add(1)
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	fmt.Printf("%8d %10d %8d %10.0f %10s %10s\n", n, ok.Load(), failed.Load(),
		float64(ok.Load())/elapsed.Seconds(), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond))
}
