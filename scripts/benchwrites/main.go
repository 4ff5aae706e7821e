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
	"strings"
	"time"

	vaultapi "github.com/hashicorp/vault/api"

	"iamd/scripts/internal/closedloop"
)

func main() {
	addrs := flag.String("addrs", "http://127.0.0.1:18200", "comma-separated node API addresses")
	token := flag.String("token", os.Getenv("IAMD_TOKEN"), "root token")
	clients := flag.String("clients", "1,16,64", "comma-separated concurrent client counts")
	duration := flag.Duration("duration", 5*time.Second, "how long each run lasts")
	flag.Parse()

	counts, err := closedloop.Counts(*clients)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	nodes := strings.Split(*addrs, ",")
	transport := &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}
	fmt.Printf("%d nodes, %s per run, writes: auth/token/create\n\n", len(nodes), *duration)
	closedloop.PrintHeader("writes")
	for _, n := range counts {
		closedloop.Run(n, *duration, func(i int) func() error {
			c := client(nodes[i%len(nodes)], *token, transport)
			req := &vaultapi.TokenCreateRequest{Policies: []string{"default"}, TTL: "1h"}
			return func() error {
				_, err := c.Auth().Token().Create(req)
				return err
			}
		}).Print()
	}
}

func client(addr, token string, tr *http.Transport) *vaultapi.Client {
	cfg := vaultapi.DefaultConfig()
	cfg.Address = addr
	cfg.MaxRetries = 0
	cfg.HttpClient = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c.SetToken(token)
	return c
}
