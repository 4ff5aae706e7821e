// Command iamd is the iamd server and its command-line client.
//
//	iamd server -dev | -config=FILE
//	iamd operator init
//	iamd status
//	iamd operator raft join [-retry] [-reset] LEADER_API_ADDR
//	iamd operator raft list-peers | remove-peer NODE_ID
//	iamd operator raft snapshot save FILE | restore [-force] FILE
//	iamd operator members
//	iamd audit verify [-head=HASH] FILE
//	iamd login -method=userpass [-path=P] [-mfa=METHOD:CODE] username=NAME [password=PW]
//
// Client commands take -address (default $IAMD_ADDR, else $VAULT_ADDR, else
// http://127.0.0.1:8200), a token from $IAMD_TOKEN or $VAULT_TOKEN, and
// -format=table|json.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

type command struct {
	summary string
	run     func(args []string) int
}

var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// Commands are one to four words ("server", "operator raft snapshot save").
	for n := min(len(args), 4); n >= 1; n-- {
		if c, ok := commands[strings.Join(args[:n], " ")]; ok {
			return c.run(args[n:])
		}
	}
	usage()
	return 1
}

func usage() {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "Usage: iamd <command> [flags] [args]")
	fmt.Fprintln(os.Stderr)
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "  %-34s %s\n", name, commands[name].summary)
	}
}
