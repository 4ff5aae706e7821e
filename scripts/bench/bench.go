package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// bench holds the two clusters and what the phases share.
type bench struct {
	o     options
	ic    *iamdCluster
	ec    *etcdCluster
	dir   string
	aws   *awsSigner
	iam   bool   // this build answers the IAM query API
	token string // a non-root token whose policy allows the Vault phases
	runID int
}

const benchVaultPolicy = `
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/create" { capabilities = ["create", "update"] }
path "identity/mfa/login-enforcement" { capabilities = ["list"] }
path "identity/mfa/login-enforcement/*" { capabilities = ["read"] }
`

// setup loads what the phases read: users (IAM), a token with a policy
// and login enforcements (Vault), keys (etcd).
func (b *bench) setup() error {
	ic := b.ic
	b.aws = newAWSSigner(ic.rootAK, ic.rootSK)
	leader := ic.leader().api
	if err := ic.call(http.MethodPut, leader+"/v1/sys/policies/acl/bench", ic.token, map[string]any{"policy": benchVaultPolicy}, nil); err != nil {
		return err
	}
	var tok struct {
		Auth struct {
			ClientToken string `json:"client_token"`
		} `json:"auth"`
	}
	if err := ic.call(http.MethodPost, leader+"/v1/auth/token/create", ic.token, map[string]any{"policies": []string{"bench"}, "ttl": "24h"}, &tok); err != nil {
		return err
	}
	b.token = tok.Auth.ClientToken
	var m struct {
		Data struct {
			MethodID string `json:"method_id"`
		} `json:"data"`
	}
	if err := ic.call(http.MethodPost, leader+"/v1/identity/mfa/method/totp", ic.token, map[string]any{"issuer": "bench"}, &m); err != nil {
		return err
	}
	for i := 0; i < 10; i++ {
		if err := ic.call(http.MethodPost, fmt.Sprintf("%s/v1/identity/mfa/login-enforcement/e%d", leader, i), ic.token,
			map[string]any{"mfa_method_ids": []string{m.Data.MethodID}, "auth_method_types": []string{"token"}}, nil); err != nil {
			return err
		}
	}
	b.iam = iamAvailable(ic, b.aws)
	if b.iam {
		fmt.Fprintf(os.Stderr, "loading %d IAM users\n", b.o.users)
		if err := iamLoad(ic, b.aws, 0, b.o.users); err != nil {
			return fmt.Errorf("load users: %w", err)
		}
	} else {
		fmt.Println("note: this build does not answer the IAM query API yet; IAM phases skipped")
	}
	fmt.Fprintf(os.Stderr, "loading %d etcd keys\n", b.o.users)
	if err := etcdLoad(b.ec, b.o.users); err != nil {
		return fmt.Errorf("load etcd keys: %w", err)
	}
	time.Sleep(time.Second) // followers apply the load
	return nil
}

// row is one measured line: an iamd operation, or an etcd reference.
type row struct {
	name  string
	group string // phase flag that enables it
	ref   string // name of the etcd row it is compared with
	noop  bool   // also compare with the iamd no-op
	fn    op
	// prepare, when set, makes fn just before the row runs, outside the
	// timed and CPU-counted interval, and says what it did (the signed-ahead
	// pool of the signed read).
	prepare func() (op, string, error)
}

func (b *bench) rows(run string) []row {
	ic, ec := b.ic, b.ec
	noop := vaultReq(ic, http.MethodGet, "/v1/sys/internal/noop", "", nil)
	rs := []row{
		{name: "etcd get (serializable)", group: "read", fn: etcdGet(ec, b.o.users)},
		{name: "iamd no-op", group: "noop", fn: noop},
	}
	if b.iam {
		if b.o.signPerRequest {
			rs = append(rs, row{name: "iam GetUser (SigV4)", group: "read", ref: "etcd get (serializable)", noop: true, fn: iamGetUser(ic, b.aws, b.o.users)})
		} else {
			rs = append(rs, row{name: "iam GetUser (signed ahead)", group: "read", ref: "etcd get (serializable)", noop: true, prepare: b.signedAheadGetUser})
		}
	}
	rs = append(rs,
		row{name: "vault token lookup-self", group: "vault", ref: "etcd get (serializable)", noop: true,
			fn: vaultReq(ic, http.MethodGet, "/v1/auth/token/lookup-self", b.token, nil)},
		row{name: "vault mfa enforcement read", group: "vault", ref: "etcd get (serializable)", noop: true,
			fn: vaultReq(ic, http.MethodGet, "/v1/identity/mfa/login-enforcement/e3", b.token, nil)},
		row{name: "vault mfa enforcement LIST", group: "vault", ref: "etcd get (serializable)", noop: true,
			fn: vaultReq(ic, "LIST", "/v1/identity/mfa/login-enforcement", b.token, nil)},
		row{name: "etcd put", group: "write", fn: etcdPut(ec, run)},
	)
	if b.iam {
		rs = append(rs,
			row{name: "iam CreateUser/DeleteUser", group: "write", ref: "etcd put", fn: iamCreateUser(ic, b.aws, run)},
			row{name: "iam PutUserPolicy", group: "write", ref: "etcd put", fn: iamPutUserPolicy(ic, b.aws, b.o.users)},
		)
	}
	rs = append(rs, row{name: "vault token create", group: "write", ref: "etcd put",
		fn: vaultReq(ic, http.MethodPost, "/v1/auth/token/create", b.token, func(c, i int) string { return `{"policies":["bench"],"ttl":"1h"}` })})
	return rs
}

func (b *bench) runPhases() {
	enabled := func(r row) bool {
		return b.o.phases[r.group] || (r.group == "read" && b.o.phases["vault"] && r.ref == "") || (r.name == "iamd no-op" && (b.o.phases["read"] || b.o.phases["vault"]))
	}
	if b.iam && b.o.phases["read"] {
		how := "signed read: GetUser requests signed ahead (a pool of distinct signed requests made before each run and sent round-robin; the servers verify every signature in full; -sign-per-request signs during the run)"
		if b.o.signPerRequest {
			how = "signed read: each GetUser signed by the load generator during the run (-sign-per-request)"
		}
		fmt.Println(how)
		rep.header = append(rep.header, how)
	}
	fmt.Printf("%-28s %7s %10s %9s %9s %7s %9s %9s %9s %9s\n", "phase", "clients", "ops/s", "p50", "p99", "errors", "vs etcd", "vs no-op", "srv CPU", "load CPU")
	for _, n := range b.o.clients {
		b.runID++
		got := map[string]result{}
		for _, r := range b.rows(fmt.Sprint(b.runID)) {
			if !enabled(r) {
				continue
			}
			fn, note := r.fn, ""
			if r.prepare != nil {
				var err error
				if fn, note, err = r.prepare(); err != nil {
					fmt.Printf("%-28s %7d  not run: %v\n", r.name, n, err)
					continue
				}
			}
			var stopProfile func()
			if n == b.o.clients[len(b.o.clients)-1] && b.o.profile != "" && strings.Contains(r.name, b.o.profile) {
				stopProfile = b.profileNodes(r.name)
			}
			var before map[string]float64
			if r.group == "write" && r.ref != "" {
				before = b.scrape()
			}
			srv0, self0 := b.serverCPU(r), selfCPUTime()
			res := closedLoop(n, b.o.duration, fn)
			srvCPU, selfCPU := perOp(b.serverCPU(r)-srv0, res), perOp(selfCPUTime()-self0, res)
			if before != nil {
				note = batchNote(before, b.scrape())
			}
			if stopProfile != nil {
				stopProfile()
			}
			got[r.name] = res
			vsRef, vsNoop := "", ""
			if ref, ok := got[r.ref]; ok && ref.opsPerSec() > 0 {
				vsRef = fmt.Sprintf("%.2fx", res.opsPerSec()/ref.opsPerSec())
			}
			if no, ok := got["iamd no-op"]; ok && r.noop && no.opsPerSec() > 0 {
				vsNoop = fmt.Sprintf("%.2fx", res.opsPerSec()/no.opsPerSec())
			}
			cells := []any{r.name, fmt.Sprint(n), fmt.Sprintf("%.0f", res.opsPerSec()), fmtDur(res.p50), fmtDur(res.p99), fmt.Sprint(res.errs), vsRef, vsNoop, srvCPU, selfCPU}
			fmt.Printf("%-28s %7s %10s %9s %9s %7s %9s %9s %9s %9s\n", cells...)
			rep.addRow(cells...)
			if note != "" {
				fmt.Printf("    %s\n", note)
				rep.addNote(note)
			}
			if res.firstErr != nil {
				fmt.Printf("    first error: %.200v\n", res.firstErr)
				rep.addNote(fmt.Sprintf("first error: %.200v", res.firstErr))
			}
		}
		fmt.Println()
	}
	if b.o.keep {
		saveDiagnostics(b.ic, b.dir)
	}
}

// signedAheadGetUser signs the signed read's pool of requests just before
// its run, so that the load generator spends no CPU on SigV4 while it is
// timed: in a deployment each client signs on its own machine, here the
// signing would take the servers' cores. The note gives the signing cost
// that is left out of "load CPU".
func (b *bench) signedAheadGetUser() (op, string, error) {
	cpu0, t0 := selfCPUTime(), time.Now()
	pool, err := signGetUserPool(b.ic, b.aws, b.o.users)
	if err != nil {
		return nil, "", err
	}
	n := 0
	for _, p := range pool {
		n += len(p)
	}
	note := fmt.Sprintf("signed ahead: %d distinct requests (%d per node) signed in %s before the run, %s of load-generator CPU each (not in load CPU)",
		n, len(pool[0]), fmtDur(time.Since(t0)), fmtDur((selfCPUTime()-cpu0)/time.Duration(n)))
	return iamGetUserSigned(b.ic, pool), note, nil
}

// serverCPU is the CPU time used so far by the servers row r sends to:
// the three etcd members for etcd rows, the three iamd nodes otherwise.
func (b *bench) serverCPU(r row) time.Duration {
	var t time.Duration
	if strings.HasPrefix(r.name, "etcd ") {
		for _, m := range b.ec.members {
			t += m.proc.cpuTime()
		}
		return t
	}
	for _, n := range b.ic.nodes {
		t += n.proc.cpuTime()
	}
	return t
}

// perOp is CPU time per successful request: what one request costs the
// servers (or the load generator), which the other load on a shared
// machine changes far less than it changes ops/s.
func perOp(cpu time.Duration, res result) string {
	if res.ok == 0 || cpu <= 0 {
		return ""
	}
	return fmtDur(cpu / time.Duration(res.ok))
}

// saveDiagnostics keeps every node's /v1/sys/metrics and allocation profile
// in the working directory (with -keep), for the Raft timings and the
// allocations behind the figures.
func saveDiagnostics(ic *iamdCluster, dir string) {
	for _, n := range ic.alive() {
		for path, file := range map[string]string{"/v1/sys/metrics": n.id + ".metrics", "/v1/sys/pprof/allocs": n.id + "-allocs.pprof"} {
			req, _ := http.NewRequest(http.MethodGet, n.api+path, nil)
			req.Header.Set("X-Vault-Token", ic.token)
			resp, err := ic.http.Do(req)
			if err != nil {
				continue
			}
			f, err := os.Create(filepath.Join(dir, file))
			if err == nil {
				io.Copy(f, resp.Body)
				f.Close()
			}
			resp.Body.Close()
		}
	}
}

func (b *bench) failover() {
	rounds := b.o.failoverRounds
	const writers = 8
	var write op
	var probe func(ctx context.Context, n *iamdNode, round, attempt int) error
	name := "vault token create"
	if b.iam {
		name = "iam CreateUser"
		write = iamCreateUser(b.ic, b.aws, "failover")
		probe = func(ctx context.Context, n *iamdNode, round, attempt int) error {
			return b.aws.iamCallCtx(ctx, n, url.Values{"Action": {"CreateUser"}, "UserName": {fmt.Sprintf("probe-%d-%d", round, attempt)}})
		}
	} else {
		write = vaultReq(b.ic, http.MethodPost, "/v1/auth/token/create", b.token, func(c, i int) string { return `{"policies":["bench"],"ttl":"1h"}` })
		probe = func(ctx context.Context, n *iamdNode, round, attempt int) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, n.api+"/v1/auth/token/create", strings.NewReader(`{"ttl":"1h"}`))
			req.Header.Set("X-Vault-Token", b.token)
			return send(b.ic.http, req)
		}
	}
	rep.printf("failover: SIGKILL the leader under %d writers; time until a probe (one write at a time to the survivors, %s per attempt) first succeeds (%d rounds)\n", writers, probeTimeout, rounds)
	id, ierr := iamdFailover(b.ic, rounds, writers, write, probe)
	ed, eerr := etcdFailover(b.ec, rounds, writers, etcdPut(b.ec, "failover"))
	show := func(sys string, ds []time.Duration, err error) {
		var parts []string
		for _, d := range ds {
			parts = append(parts, fmtDur(d))
		}
		line := fmt.Sprintf("  %-6s (%s): median %s  rounds %s", sys, name, fmtDur(median(ds)), strings.Join(parts, " "))
		if sys == "etcd" {
			line = fmt.Sprintf("  %-6s (%s): median %s  rounds %s", sys, "put", fmtDur(median(ds)), strings.Join(parts, " "))
		}
		if err != nil {
			line += "  error: " + err.Error()
		}
		rep.printf("%s\n", line)
	}
	show("iamd", id, ierr)
	show("etcd", ed, eerr)
	if len(id) > 0 && len(ed) > 0 {
		rep.printf("  ratio iamd/etcd: %.2fx\n", float64(median(id))/float64(median(ed)))
	}
}

// profileNodes starts a CPU profile of every live iamd node through
// sys/pprof and returns a function that waits for them and saves them:
// the leader's as DIR/cpu-PHASE.pprof, the others' as
// DIR/cpu-PHASE-NODE.pprof (a write costs CPU on followers too).
func (b *bench) profileNodes(phase string) func() {
	l := b.ic.leader()
	secs := int(b.o.duration.Seconds())
	base := "cpu-" + strings.ReplaceAll(strings.Fields(phase)[1], "/", "_")
	var wg sync.WaitGroup
	for _, n := range b.ic.nodes {
		if !n.proc.alive() {
			continue
		}
		file := filepath.Join(b.dir, base+".pprof")
		if n != l {
			file = filepath.Join(b.dir, base+"-"+n.id+".pprof")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.saveProfile(n, max(1, secs-1), file)
			fmt.Fprintf(os.Stderr, "CPU profile of %s (%s) in %s\n", n.id, phase, file)
		}()
	}
	return wg.Wait
}

func (b *bench) saveProfile(n *iamdNode, secs int, file string) {
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/sys/pprof/profile?seconds=%d", n.api, secs), nil)
	req.Header.Set("X-Vault-Token", b.ic.token)
	client := *b.ic.http // the answer takes secs: longer than the shared client's timeout
	client.Timeout = time.Duration(secs)*time.Second + 30*time.Second
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer f.Close()
	io.Copy(f, resp.Body)
}

func memTotal() string {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "?"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// hugePages is the kernel's transparent huge page mode (the bracketed word
// of /sys/kernel/mm/transparent_hugepage/enabled). It belongs with the
// machine: under "madvise" or "never" a Go heap gets 4 KiB pages, and a
// restore of a large state takes hundreds of thousands of page faults.
func hugePages() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return "?"
	}
	return selectedMode(string(b))
}

// selectedMode returns the bracketed word of a sysfs choice line such as
// "always [madvise] never".
func selectedMode(line string) string {
	_, rest, ok := strings.Cut(line, "[")
	mode, _, ok2 := strings.Cut(rest, "]")
	if !ok || !ok2 {
		return "?"
	}
	return mode
}

func gitRev() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}
