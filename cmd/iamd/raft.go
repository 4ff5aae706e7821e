package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// Cluster commands (spec/vault.md §9). They speak the Vault raft API with
// hashicorp/vault/api, so they work against any node.
func init() {
	commands["operator raft join"] = command{"join the node at -address to the cluster led from LEADER_API_ADDR", runRaftJoin}
	commands["operator raft list-peers"] = command{"list the servers of the raft configuration", runListPeers}
	commands["operator raft remove-peer"] = command{"remove a server (NODE_ID) from the cluster", runRemovePeer}
	commands["operator raft snapshot save"] = command{"save a snapshot of the cluster state to FILE", runSnapshotSave}
	commands["operator raft snapshot restore"] = command{"replace the cluster state with the snapshot in FILE", runSnapshotRestore}
	commands["operator members"] = command{"list the cluster's nodes (sys/ha-status)", runMembers}
}

// parseClient parses a client command's flags and returns its client and
// positional arguments; nargs is how many it requires.
func parseClient(name string, args []string, nargs int, usage string, extra func(*flag.FlagSet)) (*vaultapi.Client, *clientFlags, []string, int) {
	var cf clientFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cf.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, 2
	}
	if fs.NArg() != nargs {
		fmt.Fprintf(os.Stderr, "Usage: iamd %s [flags] %s\n", name, usage)
		return nil, nil, nil, 2
	}
	c, err := cf.client()
	if err != nil {
		return nil, nil, nil, fail(name, err)
	}
	return c, &cf, fs.Args(), 0
}

// apiFailure prints the server's error messages rather than the client's
// wrapping of them.
func apiFailure(cmd string, err error) int {
	var re *vaultapi.ResponseError
	if errors.As(err, &re) && len(re.Errors) > 0 {
		fmt.Fprintf(os.Stderr, "%s: %s\n", cmd, strings.Join(re.Errors, "; "))
		return 2
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", cmd, err)
	return 2
}

var outcomeText = map[string]string{
	"joined":         "joined",
	"already_member": "already a member",
	"retrying":       "retrying in the background",
}

func runRaftJoin(args []string) int {
	const name = "operator raft join"
	var retry, reset bool
	var caCert string
	c, cf, rest, code := parseClient(name, args, 1, "LEADER_API_ADDR", func(fs *flag.FlagSet) {
		fs.BoolVar(&retry, "retry", false, "keep retrying in the background until the join succeeds")
		fs.BoolVar(&reset, "reset", false, "first discard this node's raft state and keyring (a removed node, or a one-node cluster)")
		fs.StringVar(&caCert, "leader-ca-cert", "", "PEM CA bundle (or a file holding it) to verify the leader's certificate")
	})
	if c == nil {
		return code
	}
	if caCert != "" && !strings.Contains(caCert, "-----BEGIN") {
		raw, err := os.ReadFile(caCert)
		if err != nil {
			return fail(name, err)
		}
		caCert = string(raw)
	}
	// The join returns once the node has caught up and become a voter.
	c.SetClientTimeout(3 * time.Minute)
	req := c.NewRequest(http.MethodPost, "/v1/sys/storage/raft/join")
	if err := req.SetJSONBody(map[string]any{
		"leader_api_addr": rest[0], "retry": retry, "reset": reset, "leader_ca_cert": caCert,
	}); err != nil {
		return fail(name, err)
	}
	resp, err := c.RawRequestWithContext(context.Background(), req)
	if resp != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		return apiFailure(name, err)
	}
	var out map[string]any
	if err := resp.DecodeJSON(&out); err != nil {
		return fail(name, err)
	}
	if cf.format == "json" {
		printJSON(os.Stdout, out)
		return 0
	}
	outcome, _ := out["outcome"].(string)
	printKV(os.Stdout, map[string]any{
		"Outcome": outcomeText[outcome], "Node": out["node_id"], "Cluster": out["cluster_name"], "Voter": out["voter"],
	})
	return 0
}

func runListPeers(args []string) int {
	const name = "operator raft list-peers"
	c, cf, _, code := parseClient(name, args, 0, "", nil)
	if c == nil {
		return code
	}
	secret, err := c.Logical().Read("sys/storage/raft/configuration")
	if err != nil {
		return apiFailure(name, err)
	}
	if secret == nil || secret.Data == nil {
		return fail(name, errors.New("no raft configuration returned"))
	}
	if cf.format == "json" {
		printJSON(os.Stdout, secret)
		return 0
	}
	cfg, _ := secret.Data["config"].(map[string]any)
	servers, _ := cfg["servers"].([]any)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 4, ' ', 0)
	fmt.Fprintln(tw, "Node\tAddress\tState\tVoter")
	fmt.Fprintln(tw, "----\t-------\t-----\t-----")
	for _, s := range servers {
		m, _ := s.(map[string]any)
		state := "follower"
		if leader, _ := m["leader"].(bool); leader {
			state = "leader"
		}
		fmt.Fprintf(tw, "%v\t%v\t%s\t%v\n", m["node_id"], m["address"], state, m["voter"])
	}
	tw.Flush()
	return 0
}

func runRemovePeer(args []string) int {
	const name = "operator raft remove-peer"
	c, _, rest, code := parseClient(name, args, 1, "NODE_ID", nil)
	if c == nil {
		return code
	}
	if _, err := c.Logical().Write("sys/storage/raft/remove-peer", map[string]any{"server_id": rest[0]}); err != nil {
		return apiFailure(name, err)
	}
	fmt.Println("Peer removed successfully!")
	return 0
}

func runSnapshotSave(args []string) int {
	const name = "operator raft snapshot save"
	c, _, rest, code := parseClient(name, args, 1, "FILE", nil)
	if c == nil {
		return code
	}
	c.SetClientTimeout(10 * time.Minute)
	// Written next to the target and renamed, so a failed save never
	// leaves a truncated file under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(rest[0]), ".iamd-snapshot-*")
	if err != nil {
		return fail(name, err)
	}
	defer os.Remove(tmp.Name())
	if err := c.Sys().RaftSnapshot(tmp); err != nil {
		tmp.Close()
		return apiFailure(name, err)
	}
	if err := tmp.Close(); err != nil {
		return fail(name, err)
	}
	if err := os.Rename(tmp.Name(), rest[0]); err != nil {
		return fail(name, err)
	}
	return 0
}

func runSnapshotRestore(args []string) int {
	const name = "operator raft snapshot restore"
	var force bool
	c, _, rest, code := parseClient(name, args, 1, "FILE", func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "restore even if the snapshot was not sealed with this cluster's keyring")
	})
	if c == nil {
		return code
	}
	c.SetClientTimeout(10 * time.Minute)
	f, err := os.Open(rest[0])
	if err != nil {
		return fail(name, err)
	}
	defer f.Close()
	if err := c.Sys().RaftSnapshotRestore(f, force); err != nil {
		return apiFailure(name, err)
	}
	return 0
}

func runMembers(args []string) int {
	const name = "operator members"
	c, cf, _, code := parseClient(name, args, 0, "", nil)
	if c == nil {
		return code
	}
	st, err := c.Sys().HAStatus()
	if err != nil {
		return apiFailure(name, err)
	}
	if cf.format == "json" {
		printJSON(os.Stdout, st)
		return 0
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 4, ' ', 0)
	fmt.Fprintln(tw, "Host Name\tAPI Address\tCluster Address\tActive Node\tVersion\tUpgrade Version\tLast Echo")
	fmt.Fprintln(tw, "---------\t-----------\t---------------\t-----------\t-------\t---------------\t---------")
	for _, n := range st.Nodes {
		echo := "n/a"
		if n.LastEcho != nil {
			echo = n.LastEcho.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\t%s\n", n.Hostname, n.APIAddress, n.ClusterAddress, n.ActiveNode,
			n.Version, n.UpgradeVersion, echo)
	}
	tw.Flush()
	return 0
}
