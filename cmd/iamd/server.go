package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"iamd/api"
	"iamd/api/limit"
	"iamd/cluster"
	"iamd/server"
	"iamd/server/config"
)

func init() {
	commands["server"] = command{"run an iamd node (-dev or -config=FILE)", runServer}
}

func runServer(args []string) int {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	dev := fs.Bool("dev", false, "run one in-memory node that initialises itself")
	configPath := fs.String("config", "", "path to the node's HCL configuration")
	devToken := fs.String("dev-root-token-id", "", "root token ID to use in dev mode")
	devListen := fs.String("dev-listen-address", "127.0.0.1:8200", "address to listen on in dev mode")
	devAK := fs.String("dev-root-access-key-id", "", "root access key ID to use in dev mode")
	devSK := fs.String("dev-root-secret-access-key", "", "root secret access key to use in dev mode")
	logLevel := fs.String("log-level", "", "trace, debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dev == (*configPath != "") {
		fmt.Fprintln(os.Stderr, "iamd server: give exactly one of -dev and -config=FILE")
		return 2
	}
	if (*devAK == "") != (*devSK == "") {
		fmt.Fprintln(os.Stderr, "iamd server: -dev-root-access-key-id and -dev-root-secret-access-key go together")
		return 2
	}
	// Catch the stop signals before anything listens: a SIGTERM that comes
	// as soon as the port answers must still shut the node down cleanly.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	opts := server.Options{}
	listen, maxBody := *devListen, int64(config.DefaultMaxRequestSize)
	timeouts := config.DefaultHTTPTimeouts
	limits := limit.Config{MaxConcurrent: config.DefaultMaxConcurrentRequests, QueueWait: 2 * time.Second,
		ClientMaxConcurrent: config.DefaultClientMaxConcurrentRequests}
	var tlsConfig *tls.Config
	level := *logLevel
	if *dev {
		opts.Dev = &server.DevOptions{ListenAddress: *devListen, RootTokenID: *devToken,
			RootAccessKeyID: *devAK, RootSecretAccessKey: *devSK}
	} else {
		cfg, err := config.Load(*configPath)
		if err != nil {
			fmt.Fprintf(os.Stderr, "iamd server: %v\n", err)
			return 1
		}
		opts.Config = cfg
		l := cfg.Listener[0]
		listen, maxBody = l.Address, l.MaxRequestSize
		timeouts = l.Timeouts()
		limits.MaxConcurrent, limits.ClientMaxConcurrent = l.MaxConcurrentRequests, l.ClientMaxConcurrentRequests
		limits.ClientRate, limits.ClientBurst = l.ClientRequestsPerSecond, l.ClientBurst
		if level == "" {
			level = cfg.LogLevel
		}
		if !l.TLSDisable {
			// Client certificates are requested for API access rules.
			if tlsConfig, err = l.TLSConfig(); err != nil {
				fmt.Fprintf(os.Stderr, "iamd server: listener TLS: %v\n", err)
				return 1
			}
		}
	}
	if level == "" {
		level = "info"
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "iamd", Level: hclog.LevelFromString(level), Output: os.Stderr})
	opts.Logger = logger

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "iamd server: listen on %s: %v\n", listen, err)
		return 1
	}
	// Dev mode learns its credentials only once the node is initialised,
	// so the node is built before anything is printed.
	node, err := server.New(opts)
	if err != nil {
		ln.Close()
		fmt.Fprintf(os.Stderr, "iamd server: %v\n", err)
		return 1
	}
	if opts.Dev != nil {
		printDevBanner(node, opts.Dev, listen)
	}
	var handler http.Handler = api.New(node, maxBody)
	var members *cluster.Cluster
	if opts.Config != nil {
		if members, err = cluster.New(node, opts.Config, cluster.Options{Logger: logger}); err != nil {
			ln.Close()
			node.Shutdown()
			fmt.Fprintf(os.Stderr, "iamd server: %v\n", err)
			return 1
		}
		handler = members.Wrap(handler)
		// Lets peers present their cluster certificates, which Wrap
		// requires on the internal calls.
		tlsConfig = members.ListenerTLS(tlsConfig)
	}
	// Limits in front of everything (api/limit), and timeouts so that
	// slow clients (slowloris) cannot hold connections open forever.
	handler = limit.New(limits, handler)
	srv := &http.Server{Handler: handler, TLSConfig: tlsConfig,
		ReadHeaderTimeout: timeouts.ReadHeader, ReadTimeout: timeouts.Read, WriteTimeout: timeouts.Write, IdleTimeout: timeouts.Idle}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	logger.Info("iamd listening", "address", listen, "node_id", node.ID())

	code := 0
	select {
	case s := <-sigs:
		logger.Info("shutting down", "signal", s.String())
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server failed", "error", err)
			code = 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	if members != nil {
		members.Shutdown()
	}
	if err := node.Shutdown(); err != nil {
		logger.Error("raft shutdown", "error", err)
		code = 1
	}
	return code
}

func printDevBanner(node *server.Node, d *server.DevOptions, listen string) {
	creds := node.DevCredentials()
	fmt.Printf(`==> iamd dev server started. Nothing is written to disk; every restart starts empty.

    export IAMD_ADDR='http://%s'
    export VAULT_ADDR='http://%s'

Root Token: %s

AWS endpoint: http://%s/
Account ID:            %s
Root Access Key ID:    %s
Root Secret Access Key: %s

Development mode should NOT be used in production.
`, listen, listen, creds.RootToken, listen, creds.AccountID, creds.RootAccessKeyID, creds.RootSecretAccessKey)
}
