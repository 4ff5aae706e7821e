package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	vaultapi "github.com/hashicorp/vault/api"
)

// clientFlags are the flags every client command takes.
type clientFlags struct {
	address string
	format  string
}

func (f *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.address, "address", defaultAddress(), "iamd node address")
	fs.StringVar(&f.format, "format", "table", "output format: table or json")
}

func defaultAddress() string {
	for _, env := range []string{"IAMD_ADDR", "VAULT_ADDR"} {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	return "http://127.0.0.1:8200"
}

func defaultToken() string {
	for _, env := range []string{"IAMD_TOKEN", "VAULT_TOKEN"} {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		if raw, err := os.ReadFile(home + "/.iamd-token"); err == nil {
			return strings.TrimSpace(string(raw))
		}
	}
	return ""
}

// client returns a Vault API client for the node at f.address. The vault
// client is used on purpose: it is what iamd's users run, so the CLI
// exercises the same wire contract.
func (f *clientFlags) client() (*vaultapi.Client, error) {
	if f.format != "table" && f.format != "json" {
		return nil, fmt.Errorf("-format must be table or json")
	}
	cfg := vaultapi.DefaultConfig()
	cfg.Address = f.address
	cfg.MaxRetries = 0
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(defaultToken())
	return c, nil
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// printKV prints a two-column Key/Value table with sorted keys.
func printKV(w io.Writer, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 0, 4, 4, ' ', 0)
	fmt.Fprintln(tw, "Key\tValue")
	fmt.Fprintln(tw, "---\t-----")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%v\n", k, m[k])
	}
	tw.Flush()
}

func fail(cmd string, err error) int {
	fmt.Fprintf(os.Stderr, "%s: %v\n", cmd, err)
	return 1
}
