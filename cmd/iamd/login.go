package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"
)

// iamd login -method=userpass [-path=userpass] [-mfa=METHOD:CODE]...
// [-non-interactive] [-no-store] username=NAME [password=PW]
//
// Logs in through a password auth method, runs the two-phase MFA flow when
// an enforcement asks for it (prompting for the code on a terminal, as
// `vault login` does), and stores the token in ~/.iamd-token, which every
// client command reads (like vault's token helper, ~/.vault-token).

func init() {
	commands["login"] = command{"log in (-method=userpass username=NAME), with login MFA; stores the token", runLogin}
}

type mfaFlags []string

func (m *mfaFlags) String() string     { return strings.Join(*m, ",") }
func (m *mfaFlags) Set(v string) error { *m = append(*m, v); return nil }

func runLogin(args []string) int {
	var cf clientFlags
	var mfa mfaFlags
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	cf.register(fs)
	method := fs.String("method", "userpass", "auth method type (userpass)")
	path := fs.String("path", "", "mount path of the auth method (default: the method name)")
	fs.Var(&mfa, "mfa", "X-Vault-MFA credential METHOD[:CODE] for a single-phase login (repeatable)")
	nonInteractive := fs.Bool("non-interactive", false, "never prompt: print the MFA requirement instead")
	noStore := fs.Bool("no-store", false, "do not store the token")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *method != "userpass" {
		return fail("login", fmt.Errorf("unsupported -method %q (userpass only)", *method))
	}
	if *path == "" {
		*path = *method
	}
	kv := map[string]string{}
	for _, a := range fs.Args() {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return fail("login", fmt.Errorf("argument %q is not KEY=VALUE", a))
		}
		kv[k] = v
	}
	if kv["username"] == "" {
		return fail("login", errors.New("username=NAME is required"))
	}
	c, err := cf.client()
	if err != nil {
		return fail("login", err)
	}
	c.ClearToken()
	stdin := bufio.NewReader(os.Stdin)
	tty := isTerminal(os.Stdin)
	password, ok := kv["password"]
	if !ok {
		if password, err = prompt(stdin, "Password (will be hidden): ", tty, true); err != nil {
			return fail("login", err)
		}
	}
	if len(mfa) > 0 {
		c.SetMFACreds(mfa)
	}
	secret, err := c.Logical().Write("auth/"+strings.Trim(*path, "/")+"/login/"+kv["username"], map[string]any{"password": password})
	if err != nil {
		return fail("login", err)
	}
	if secret == nil || secret.Auth == nil {
		return fail("login", errors.New("the server answered no auth block"))
	}
	if req := secret.Auth.MFARequirement; req != nil && secret.Auth.ClientToken == "" {
		if secret, err = completeMFA(c, req, stdin, tty && !*nonInteractive, cf.format); err != nil {
			return fail("login", err)
		}
		if secret == nil {
			return 0 // requirement printed for a later sys/mfa/validate
		}
	}
	if !*noStore {
		if err := storeToken(secret.Auth.ClientToken); err != nil {
			return fail("login", err)
		}
	}
	printLogin(os.Stdout, secret, cf.format, !*noStore)
	return 0
}

// completeMFA runs the second phase: with one method to satisfy and a
// terminal it prompts for the code; otherwise it prints the requirement.
func completeMFA(c *vaultapi.Client, req *vaultapi.MFARequirement, stdin *bufio.Reader, interactive bool, format string) (*vaultapi.Secret, error) {
	var methods []*vaultapi.MFAMethodID
	for _, constraint := range req.MFAConstraints {
		if constraint != nil && len(constraint.Any) > 0 {
			methods = append(methods, constraint.Any[0])
		}
	}
	if !interactive || len(req.MFAConstraints) != 1 || len(methods) != 1 {
		if format == "json" {
			printJSON(os.Stdout, req)
		} else {
			fmt.Printf("MFA is required. Request ID: %s\n", req.MFARequestID)
			names := make([]string, 0, len(req.MFAConstraints))
			for name := range req.MFAConstraints {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				for _, m := range req.MFAConstraints[name].Any {
					fmt.Printf("  enforcement %q: method %s (%s, name %q)\n", name, m.ID, m.Type, m.Name)
				}
			}
			fmt.Println("Complete the login by writing mfa_request_id and mfa_payload to sys/mfa/validate.")
		}
		return nil, nil
	}
	m := methods[0]
	code := ""
	if m.UsesPasscode {
		var err error
		code, err = prompt(stdin, fmt.Sprintf("Enter the passphrase for methodID %q of type %q: ", m.ID, m.Type), true, false)
		if err != nil {
			return nil, err
		}
	}
	return c.Sys().MFAValidate(req.MFARequestID, map[string]any{m.ID: []string{code}})
}

func prompt(in *bufio.Reader, text string, tty, hidden bool) (string, error) {
	if tty {
		fmt.Fprint(os.Stderr, text)
	}
	var line string
	var err error
	if tty && hidden {
		line, err = readHidden(in)
		fmt.Fprintln(os.Stderr)
	} else {
		line, err = in.ReadString('\n')
	}
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("reading input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// storeToken writes the token where defaultToken looks for it.
func storeToken(token string) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, ".iamd-token"), []byte(token+"\n"), 0o600)
}

func printLogin(w io.Writer, s *vaultapi.Secret, format string, stored bool) {
	if format == "json" {
		printJSON(w, s)
		return
	}
	if stored {
		fmt.Fprintln(w, "Success! You are now authenticated. The token below is stored in ~/.iamd-token;")
		fmt.Fprintln(w, "client commands use it unless IAMD_TOKEN or VAULT_TOKEN is set.")
		fmt.Fprintln(w)
	}
	a := s.Auth
	rows := map[string]any{
		"token": a.ClientToken, "token_accessor": a.Accessor, "token_duration": a.LeaseDuration,
		"token_renewable": a.Renewable, "token_policies": a.TokenPolicies, "identity_policies": a.IdentityPolicies,
		"policies": a.Policies,
	}
	for k, v := range a.Metadata {
		rows["token_meta_"+k] = v
	}
	printKV(w, rows)
	for _, warning := range s.Warnings {
		fmt.Fprintln(w, "WARNING:", warning)
	}
}
