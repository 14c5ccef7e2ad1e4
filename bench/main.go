package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/lab"
	"github.com/clusterctl/clusterctl/internal/render"
)

// bench is one benchmark run: its lab, binaries and files.
type bench struct {
	lab       *lab.Lab
	bin       string // clusterctl
	profBin   string // clusterctl with CPU and heap profiles (-profile); "" without
	ansible   string // ansible-playbook; "" when not available
	playbooks string // directory of the Ansible peer's playbooks
	dir       string // work directory
	home      string // HOME of every client (empty: never the real ~)
	peers     map[string]bool
	opts      options
	stderr    io.Writer

	seq     int
	logs    map[int]*sshdLogs // per N
	targets map[int]targets   // per N
}

type options struct {
	sizes   []int
	shapes  []shape
	runs    int
	peers   map[string]bool
	labName string
	keep    bool
	// ansible is every variant run at sizes up to ansibleAllUpTo; above,
	// only the best of them (see bench.ansibleVariants). Only the first
	// ansibleRuns iterations run them all; the later ones run only the
	// best variant measured so far at that size (none above
	// ansibleAllUpTo).
	ansible        []ansibleVariant
	ansibleAllUpTo int
	ansibleRuns    int
	profile        string // directory for pprof profiles of clusterctl; "" for none
	// ansibleShapes are the shapes Ansible runs on (all by default).
	ansibleShapes map[shape]bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("n", "50", "comma-separated host counts")
	shapeList := fs.String("shapes", "pairs,rs", "comma-separated cluster shapes: pairs (keepalived pairs), rs (LVS-DR real servers), files (plain hosts)")
	runs := fs.Int("runs", 3, "iterations per host count and shape")
	peers := fs.String("peers", "clusterctl,openssh,ansible", "what to measure: clusterctl, openssh, ansible")
	forks := fs.String("ansible-forks", "5,50", "comma-separated Ansible fork counts")
	facts := fs.String("ansible-facts", "on,off", "Ansible fact gathering: on, off or both")
	allUpTo := fs.Int("ansible-all-up-to", 50, "run every Ansible variant up to this host count; above it only the best one measured at a smaller count")
	ansibleShapes := fs.String("ansible-shapes", "pairs,rs,files", "comma-separated shapes Ansible runs on (the others are measured without it)")
	ansibleRuns := fs.Int("ansible-runs", 0, "iterations that run every Ansible variant (0: every iteration); the later ones run only the variant that was fastest so far at that host count (up to -ansible-all-up-to hosts) or no Ansible at all (above)")
	profile := fs.String("profile", "", "run clusterctl built with profiling (bench/clusterctlprof) in every measured run and write its CPU and heap profiles into this directory as N-SHAPE-OP-SEQ.cpu.pprof and .heap.pprof")
	labName := fs.String("lab-name", "ccbench", "lab name (namespace prefix)")
	keep := fs.Bool("keep", false, "leave the lab and work directory in place at the end")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o := options{runs: *runs, peers: map[string]bool{}, labName: *labName, keep: *keep,
		ansibleAllUpTo: *allUpTo, ansibleRuns: *ansibleRuns, profile: *profile}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > maxHosts {
			return o, fmt.Errorf("-n: %q is not a host count between 1 and %d", s, maxHosts)
		}
		o.sizes = append(o.sizes, n)
	}
	slices.Sort(o.sizes)
	o.sizes = slices.Compact(o.sizes)
	for _, s := range strings.Split(*shapeList, ",") {
		sh, err := parseShape(strings.TrimSpace(s))
		if err != nil {
			return o, fmt.Errorf("-shapes: %w", err)
		}
		if !slices.Contains(o.shapes, sh) {
			o.shapes = append(o.shapes, sh)
		}
		for _, n := range o.sizes {
			if err := sh.check(n); err != nil {
				return o, fmt.Errorf("-n %d: %w", n, err)
			}
		}
	}
	o.ansibleShapes = map[shape]bool{}
	for _, sh := range strings.Split(*ansibleShapes, ",") {
		x, err := parseShape(strings.TrimSpace(sh))
		if err != nil {
			return o, fmt.Errorf("-ansible-shapes: %w", err)
		}
		o.ansibleShapes[x] = true
	}
	for _, p := range strings.Split(*peers, ",") {
		p = strings.TrimSpace(p)
		switch p {
		case "clusterctl", "openssh", "ansible":
			o.peers[p] = true
		default:
			return o, fmt.Errorf("-peers: unknown peer %q (clusterctl, openssh, ansible)", p)
		}
	}
	var factsOn []bool
	for _, f := range strings.Split(*facts, ",") {
		switch strings.TrimSpace(f) {
		case "on":
			factsOn = append(factsOn, true)
		case "off":
			factsOn = append(factsOn, false)
		default:
			return o, fmt.Errorf("-ansible-facts: %q is neither on nor off", f)
		}
	}
	for _, f := range strings.Split(*forks, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 {
			return o, fmt.Errorf("-ansible-forks: %q is not a fork count", f)
		}
		for _, on := range factsOn {
			o.ansible = append(o.ansible, ansibleVariant{Forks: k, Facts: on})
		}
	}
	if o.runs < 1 {
		return o, errors.New("-runs must be at least 1")
	}
	if o.ansibleRuns < 0 || o.ansibleRuns > o.runs {
		return o, errors.New("-ansible-runs must be between 0 and -runs")
	}
	if o.ansibleRuns == 0 {
		o.ansibleRuns = o.runs
	}
	return o, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return errors.New("the bench builds a lab of network namespaces and needs root")
	}
	dir, err := os.MkdirTemp("", "clusterctl-bench-")
	if err != nil {
		return err
	}
	b := &bench{dir: dir, home: filepath.Join(dir, "home"), peers: o.peers, opts: o, stderr: stderr, logs: map[int]*sshdLogs{}, targets: map[int]targets{}}
	if err := os.MkdirAll(b.home, 0o700); err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	if o.peers["ansible"] {
		b.ansible = ensureAnsible(ctx, stderr)
		if b.playbooks, err = writePlaybooks(dir); err != nil {
			return err
		}
	}
	env := environment(o) // before the build: the commit built is the one named
	b.bin = filepath.Join(dir, "clusterctl")
	fmt.Fprintf(stderr, "building clusterctl...\n")
	if err := goBuild(ctx, stderr, b.bin, "github.com/clusterctl/clusterctl/cmd/clusterctl"); err != nil {
		return err
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
		b.profBin = filepath.Join(dir, "clusterctl-prof")
		if err := goBuild(ctx, stderr, b.profBin, "github.com/clusterctl/clusterctl/bench/clusterctlprof"); err != nil {
			return err
		}
	}

	maxN := o.sizes[len(o.sizes)-1]
	restoreNeigh, err := raiseNeigh(maxN + 1)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := restoreNeigh(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore the neighbour table's thresholds: %w", rerr))
		}
	}()
	fmt.Fprintf(stderr, "bringing up a lab of %d machines...\n", maxN)
	start := time.Now()
	l, err := lab.Up(ctx, labSpec(o.labName, filepath.Join(dir, "lab"), maxN), io.Discard)
	if err != nil {
		return fmt.Errorf("lab up: %w", err)
	}
	b.lab = l
	defer func() {
		if o.keep {
			fmt.Fprintf(stderr, "lab kept: clusterctl lab down --name %s --state-dir %s\n", o.labName, l.StateDir())
			return
		}
		if derr := l.Down(context.WithoutCancel(ctx)); derr != nil {
			err = errors.Join(err, fmt.Errorf("lab down: %w", derr))
		}
	}()
	fmt.Fprintf(stderr, "lab up in %s\n", time.Since(start).Round(10*time.Millisecond))
	if err := b.verboseSSHD(ctx, maxN); err != nil {
		return err
	}

	var results []result
	for _, n := range o.sizes {
		for _, s := range o.shapes {
			res, err := b.runShape(ctx, n, s, results)
			results = append(results, res...)
			if err != nil {
				// Print what was measured before failing.
				env.LoadAfter = loadAverage()
				writeReport(stdout, env, results)
				return err
			}
		}
	}
	env.LoadAfter = loadAverage()
	writeReport(stdout, env, results)
	return nil
}

// goBuild builds pkg into out.
func goBuild(ctx context.Context, stderr io.Writer, out, pkg string) error {
	build := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	return nil
}

// ensureAnsible returns the path of ansible-playbook, installing
// ansible-core from Debian when it is missing; "" (with a message) when
// that fails.
func ensureAnsible(ctx context.Context, stderr io.Writer) string {
	if p, err := exec.LookPath("ansible-playbook"); err == nil {
		return p
	}
	fmt.Fprintf(stderr, "installing ansible-core (apt-get)...\n")
	cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", "ansible-core")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "ansible-core could not be installed (%v); the ansible peer is skipped:\n%s\n", err, tailString(out.String(), 800))
		return ""
	}
	p, err := exec.LookPath("ansible-playbook")
	if err != nil {
		fmt.Fprintf(stderr, "ansible-playbook not found after installing ansible-core; the ansible peer is skipped\n")
		return ""
	}
	return p
}

// verboseSSHD raises every machine's sshd to LogLevel VERBOSE (one
// "Starting session:" line per session) and restarts it with SIGHUP.
func (b *bench) verboseSSHD(ctx context.Context, n int) error {
	const cmd = `grep -q '^LogLevel VERBOSE' /etc/ssh/clusterctl-lab/sshd_config ||
	echo 'LogLevel VERBOSE' >>/etc/ssh/clusterctl-lab/sshd_config
kill -HUP "$(cat /run/sshd.pid)"`
	err := forEachHost(n, 16, func(i int) error {
		var out bytes.Buffer
		if err := b.lab.Exec(ctx, hostName(i), []string{"sh", "-c", cmd}, nil, &out, &out); err != nil {
			return fmt.Errorf("sshd LogLevel VERBOSE on %s: %w: %s", hostName(i), err, out.String())
		}
		return nil
	})
	if err != nil {
		return err
	}
	// sshd re-executes itself on SIGHUP; wait until every one listens.
	deadline := time.Now().Add(30 * time.Second)
	return forEachHost(n, 16, func(i int) error {
		for {
			cmd, err := b.operator(ctx, b.baseEnv(), "ssh", "-F", b.lab.SSHConfig(), "-o", "BatchMode=yes", hostName(i), "true")
			if err != nil {
				return err
			}
			if cmd.Run() == nil {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("sshd on %s does not answer after SIGHUP", hostName(i))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// sshdLogPath is where machine i's sshd log lives on the host: the
// machine's overlay upper layer (the lab creates the file there).
func (b *bench) sshdLogPath(i int) string {
	return filepath.Join(b.lab.StateDir(), "machines", hostName(i), "upper", "var", "log", "sshd.log")
}

func (b *bench) configPath(n int, s shape, v variant) string {
	return filepath.Join(b.dir, fmt.Sprintf("n%d", n), fmt.Sprintf("%s-%d.hcl", s, v))
}

func (b *bench) factsPath(n int, s shape) string {
	return filepath.Join(b.dir, fmt.Sprintf("n%d", n), string(s)+"-facts.sh")
}

func (b *bench) inventoryPath(n int, s shape) string {
	return filepath.Join(b.dir, fmt.Sprintf("n%d", n), string(s)+"-inventory.json")
}

// prepareShape writes the configurations, inventory and facts script of
// n hosts of shape s, and finds the hosts' sshd logs and listeners.
func (b *bench) prepareShape(n int, s shape) error {
	if err := os.MkdirAll(filepath.Join(b.dir, fmt.Sprintf("n%d", n)), 0o755); err != nil {
		return err
	}
	for _, v := range []variant{0, 1} {
		if err := os.WriteFile(b.configPath(n, s, v), []byte(s.config(n, v)), 0o644); err != nil {
			return err
		}
	}
	inv := ansibleInventory(s, n, b.lab.IdentityFile(), b.lab.KnownHosts())
	if err := os.WriteFile(b.inventoryPath(n, s), []byte(inv), 0o644); err != nil {
		return err
	}
	script, err := factsScript(b.configPath(n, s, 1))
	if err != nil {
		return err
	}
	if err := os.WriteFile(b.factsPath(n, s), []byte(script), 0o644); err != nil {
		return err
	}
	if _, ok := b.logs[n]; ok {
		return nil
	}
	var paths []string
	for i := range n {
		paths = append(paths, b.sshdLogPath(i))
	}
	b.logs[n] = newSSHDLogs(paths)
	var namespaces []string
	for i := range n {
		namespaces = append(namespaces, b.lab.Name()+"-"+hostName(i))
	}
	b.targets[n], err = findTargets(namespaces)
	return err
}

// factsScript is the facts script clusterctl runs on the first host of the
// configuration at path (every bench host of a shape asks for the same
// facts).
func factsScript(path string) (string, error) {
	cfg, diags := config.NewLoader().Load(path, config.LoadOptions{})
	if diags.HasErrors() {
		return "", fmt.Errorf("load %s: %s", path, diags.Error())
	}
	desired, err := render.Render(cfg)
	if err != nil {
		return "", err
	}
	token, err := facts.NewToken()
	if err != nil {
		return "", err
	}
	return facts.Script(facts.RequestFor(desired[hostName(0)]), token)
}

// ansibleVariants are the Ansible variants to run for n hosts of shape
// s: every one up to -ansible-all-up-to hosts; above, the one whose
// operations' medians add up to the least at the largest such size
// measured in this run (done), or, if none was, the most forks without
// facts.
func (b *bench) ansibleVariants(n int, s shape, done []result) []ansibleVariant {
	all := b.opts.ansible
	if n <= b.opts.ansibleAllUpTo || len(all) <= 1 {
		return all
	}
	best := slices.MaxFunc(all, func(x, y ansibleVariant) int {
		if x.Facts != y.Facts {
			if x.Facts {
				return -1
			}
			return 1
		}
		return x.Forks - y.Forks
	})
	ref := 0
	for _, r := range done {
		if r.Shape == s && r.Peer == "ansible" && r.N <= b.opts.ansibleAllUpTo && r.N > ref {
			ref = r.N
		}
	}
	if ref == 0 {
		return []ansibleVariant{best}
	}
	var bestSum time.Duration
	for _, av := range all {
		var sum time.Duration
		complete := true
		for _, op := range ops {
			r := findResult(done, ref, s, "ansible "+av.key(), op)
			if r == nil {
				complete = false
				break
			}
			sum += median(pick(r.Samples, func(x sample) time.Duration { return x.Wall }))
		}
		if complete && (bestSum == 0 || sum < bestSum) {
			best, bestSum = av, sum
		}
	}
	return []ansibleVariant{best}
}

// fastestAnsible is the client of the Ansible variant whose operations'
// medians add up to the least among those with every operation measured
// at n hosts of shape s in results; "" when there is none.
func fastestAnsible(results []result, n int, s shape) string {
	sums := map[string]time.Duration{}
	count := map[string]int{}
	for _, r := range results {
		if r.N != n || r.Shape != s || r.Peer != "ansible" || len(r.Samples) == 0 {
			continue
		}
		sums[r.Client] += median(pick(r.Samples, wall))
		count[r.Client]++
	}
	best := ""
	for c, sum := range sums {
		if count[c] == len(ops) && (best == "" || sum < sums[best] || sum == sums[best] && c < best) {
			best = c
		}
	}
	return best
}

// runShape measures n hosts of shape s for every iteration, rotating the
// order of the measurement units from one iteration to the next.
func (b *bench) runShape(ctx context.Context, n int, s shape, done []result) ([]result, error) {
	fmt.Fprintf(b.stderr, "== %d hosts, shape %s (load average %s)\n", n, s, loadAverage())
	if err := b.prepareShape(n, s); err != nil {
		return nil, err
	}
	units := b.units(n, s, b.ansibleVariants(n, s, done))
	byKey := map[string]*result{}
	var order []string
	for _, u := range units {
		for _, m := range u {
			byKey[m.key] = &result{N: n, Shape: s, Client: m.client, Op: m.op, Key: m.key, Label: m.label, Peer: m.peer}
			order = append(order, m.key)
		}
	}
	collect := func() []result {
		var out []result
		for _, k := range order {
			out = append(out, *byKey[k])
		}
		return out
	}
	for r := range b.opts.runs {
		for i := range units {
			u := units[(i+r)%len(units)]
			if u[0].peer == "ansible" && r >= b.opts.ansibleRuns &&
				(n > b.opts.ansibleAllUpTo || u[0].client != fastestAnsible(collect(), n, s)) {
				continue
			}
			for _, m := range u {
				if err := ctx.Err(); err != nil {
					return collect(), err
				}
				smp, err := b.measure(ctx, n, m)
				if err != nil {
					return collect(), fmt.Errorf("%d hosts, %s, %s %s: %w", n, s, m.label, m.op, err)
				}
				res := byKey[m.key]
				res.Samples = append(res.Samples, smp)
				fmt.Fprintf(b.stderr, "  run %d  %-5s %-40s %-7s %7.2fs  gate %5.2fs  cpu %6.2fs  tree %6.2fs  machine %7.2fs  target %7.2fs  rss %5.1f MB  conns %d  sessions %d  load %s\n",
					r+1, s, m.label, m.op, smp.Wall.Seconds(), smp.Gate.Seconds(), smp.CPU.Seconds(), smp.TreeCPU.Seconds(), smp.MachineCPU.Seconds(), smp.TargetCPU.Seconds(), float64(smp.MaxRSS)/(1<<20), smp.Conns, smp.Sessions, loadAverage())
			}
		}
	}
	return collect(), nil
}

// measure runs one measurement once.
func (b *bench) measure(ctx context.Context, n int, m measurement) (sample, error) {
	if m.before != nil {
		if err := m.before(ctx); err != nil {
			return sample{}, err
		}
	}
	cmd, err := m.command(ctx)
	if err != nil {
		return sample{}, err
	}
	var stdout bytes.Buffer
	if m.check != nil {
		cmd.Stdout = &stdout
	}
	b.seq++
	group := newCPUGroup(fmt.Sprintf("clusterctl-bench-%d-%d", os.Getpid(), b.seq))
	defer func() {
		if m.after != nil {
			m.after() // again, in case the run failed before its own call
		}
		_ = group.remove()
	}()
	s, err := runMeasured(ctx, cmd, group, b.logs[n], b.targets[n], m.after)
	if err == nil && m.check != nil {
		err = m.check(stdout.Bytes(), &s)
	}
	return s, err
}

// environment describes the machine the numbers come from.
func environment(o options) env {
	e := env{CPUs: runtime.NumCPU(), LoadBefore: loadAverage(), Runs: o.runs, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		e.Kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("ssh", "-V").CombinedOutput(); err == nil {
		e.OpenSSH = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("ansible-playbook", "--version").Output(); err == nil {
		e.Ansible, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		e.Commit = strings.TrimSpace(string(out))
	}
	return e
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
