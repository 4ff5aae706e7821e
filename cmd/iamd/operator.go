package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"

	vaultapi "github.com/hashicorp/vault/api"
)

func init() {
	commands["operator init"] = command{"bootstrap a new cluster on this node and print the root credentials", runInit}
	commands["status"] = command{"print the node's initialisation and leader status", runStatus}
}

func runInit(args []string) int {
	var cf clientFlags
	fs := flag.NewFlagSet("operator init", flag.ContinueOnError)
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := cf.client()
	if err != nil {
		return fail("operator init", err)
	}
	req := c.NewRequest(http.MethodPut, "/v1/sys/init")
	if err := req.SetJSONBody(map[string]any{}); err != nil {
		return fail("operator init", err)
	}
	resp, err := c.RawRequestWithContext(context.Background(), req)
	if resp != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		return fail("operator init", err)
	}
	var out map[string]any
	if err := resp.DecodeJSON(&out); err != nil {
		return fail("operator init", err)
	}
	if cf.format == "json" {
		printJSON(os.Stdout, out)
		return 0
	}
	fmt.Printf(`Initial Root Token: %v

Account ID:              %v
Root Access Key ID:      %v
Root Secret Access Key:  %v

iamd initialized. The root token and the root secret access key are shown
only now: store them safely.
`, out["root_token"], out["account_id"], out["root_access_key_id"], out["root_secret_access_key"])
	return 0
}

func runStatus(args []string) int {
	var cf clientFlags
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := cf.client()
	if err != nil {
		return fail("status", err)
	}
	seal, err := c.Sys().SealStatus()
	if err != nil {
		return fail("status", err)
	}
	out := map[string]any{
		"Initialized": seal.Initialized, "Sealed": seal.Sealed, "Version": seal.Version,
		"Storage Type": seal.StorageType, "Cluster Name": seal.ClusterName, "Cluster ID": seal.ClusterID,
	}
	var leader *vaultapi.LeaderResponse
	if seal.Initialized {
		if leader, err = c.Sys().Leader(); err != nil {
			return fail("status", err)
		}
		mode := "standby"
		if leader.IsSelf {
			mode = "active"
		}
		out["HA Mode"] = mode
		out["Active Node Address"] = leader.LeaderAddress
		out["Raft Committed Index"] = leader.RaftCommittedIndex
		out["Raft Applied Index"] = leader.RaftAppliedIndex
	}
	if cf.format == "json" {
		printJSON(os.Stdout, out)
	} else {
		printKV(os.Stdout, out)
	}
	if !seal.Initialized {
		return 2
	}
	return 0
}
