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
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/render"
)

// defaultParallelism is clusterctl's -parallelism default (hosts changed
// at once); defaultGather its --gather-parallelism default (hosts whose
// facts are read at once), which bounds plan.
const (
	defaultParallelism = remote.DefaultParallelism
	defaultGather      = 32
)

// bench is one benchmark run: its lab, binaries and files.
type bench struct {
	lab     *lab.Lab
	bin     string // clusterctl
	ansible string // ansible binary; "" when not available
	dir     string // work directory
	home    string // HOME of every client (empty: never the real ~)
	peers   map[string]bool
	stderr  io.Writer

	factsScript string // the facts script of a bench host, for the OpenSSH floor
	current     variant
	seq         int
	logs        map[int]*sshdLogs // per N
	targets     map[int]targets   // per N
}

type options struct {
	sizes   []int
	runs    int
	peers   map[string]bool
	labName string
	keep    bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("n", "1,10,50", "comma-separated host counts")
	runs := fs.Int("runs", 3, "iterations per host count")
	peers := fs.String("peers", "clusterctl,openssh,ansible", "what to measure: clusterctl, openssh, ansible")
	labName := fs.String("lab-name", "ccbench", "lab name (namespace prefix)")
	keep := fs.Bool("keep", false, "leave the lab and work directory in place at the end")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o := options{runs: *runs, peers: map[string]bool{}, labName: *labName, keep: *keep}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > maxHosts {
			return o, fmt.Errorf("-n: %q is not a host count between 1 and %d", s, maxHosts)
		}
		o.sizes = append(o.sizes, n)
	}
	slices.Sort(o.sizes)
	o.sizes = slices.Compact(o.sizes)
	for _, p := range strings.Split(*peers, ",") {
		p = strings.TrimSpace(p)
		switch p {
		case "clusterctl", "openssh", "ansible":
			o.peers[p] = true
		default:
			return o, fmt.Errorf("-peers: unknown peer %q (clusterctl, openssh, ansible)", p)
		}
	}
	if o.runs < 1 {
		return o, errors.New("-runs must be at least 1")
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
	b := &bench{dir: dir, home: filepath.Join(dir, "home"), peers: o.peers, stderr: stderr, logs: map[int]*sshdLogs{}, targets: map[int]targets{}}
	if err := os.MkdirAll(b.home, 0o700); err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	if o.peers["ansible"] {
		b.ansible = ensureAnsible(ctx, stderr)
	}
	b.bin = filepath.Join(dir, "clusterctl")
	fmt.Fprintf(stderr, "building clusterctl...\n")
	build := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "github.com/clusterctl/clusterctl/cmd/clusterctl")
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build clusterctl: %w", err)
	}

	maxN := o.sizes[len(o.sizes)-1]
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

	env := environment(o)
	var results []result
	for _, n := range o.sizes {
		res, err := b.runSize(ctx, n, o.runs)
		results = append(results, res...)
		if err != nil {
			// Print what was measured before failing.
			writeReport(stdout, env, results)
			return err
		}
	}
	env.LoadAfter = loadAverage()
	writeReport(stdout, env, results)
	return nil
}

// ensureAnsible returns the path of ansible, installing ansible-core from
// Debian when it is missing; "" (with a message) when that fails.
func ensureAnsible(ctx context.Context, stderr io.Writer) string {
	if p, err := exec.LookPath("ansible"); err == nil {
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
	p, err := exec.LookPath("ansible")
	if err != nil {
		fmt.Fprintf(stderr, "ansible not found after installing ansible-core; the ansible peer is skipped\n")
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
	for i := range n {
		var out bytes.Buffer
		if err := b.lab.Exec(ctx, hostName(i), []string{"sh", "-c", cmd}, nil, &out, &out); err != nil {
			return fmt.Errorf("sshd LogLevel VERBOSE on %s: %w: %s", hostName(i), err, out.String())
		}
	}
	// sshd re-executes itself on SIGHUP; wait until every one listens.
	deadline := time.Now().Add(10 * time.Second)
	for i := range n {
		for {
			cmd, err := b.operator(ctx, b.baseEnv(), "ssh", "-F", b.lab.SSHConfig(), "-o", "BatchMode=yes", hostName(i), "true")
			if err != nil {
				return err
			}
			if cmd.Run() == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("sshd on %s does not answer after SIGHUP", hostName(i))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// sshdLogPath is where machine i's sshd log lives on the host: the
// machine's overlay upper layer (the lab creates the file there).
func (b *bench) sshdLogPath(i int) string {
	return filepath.Join(b.lab.StateDir(), "machines", hostName(i), "upper", "var", "log", "sshd.log")
}

func (b *bench) configPath(n int, v variant) string {
	return filepath.Join(b.dir, fmt.Sprintf("n%d", n), fmt.Sprintf("bench-%c.hcl", 'a'+rune(v)))
}

// prepareSize writes the configurations, inventory and facts script for n
// hosts and converges the hosts to variant 0 (unmeasured).
func (b *bench) prepareSize(ctx context.Context, n int) error {
	if err := os.MkdirAll(filepath.Join(b.dir, fmt.Sprintf("n%d", n)), 0o755); err != nil {
		return err
	}
	for _, v := range []variant{0, 1} {
		if err := os.WriteFile(b.configPath(n, v), []byte(renderConfig(n, v)), 0o644); err != nil {
			return err
		}
	}
	inv := ansibleInventory(n, b.lab.IdentityFile(), b.lab.KnownHosts())
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("inventory-%d.ini", n)), []byte(inv), 0o644); err != nil {
		return err
	}
	script, err := factsScript(b.configPath(n, 0))
	if err != nil {
		return err
	}
	b.factsScript = filepath.Join(b.dir, fmt.Sprintf("n%d", n), "facts.sh")
	if err := os.WriteFile(b.factsScript, []byte(script), 0o644); err != nil {
		return err
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
	if b.targets[n], err = findTargets(namespaces); err != nil {
		return err
	}
	b.current = 0
	cmd, err := b.clusterctl(ctx, "apply", b.configPath(n, 0), "-auto-approve", "-parallelism", strconv.Itoa(n))
	if err != nil {
		return err
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("converge %d hosts: %w\n%s", n, err, tailString(out.String(), 2000))
	}
	return nil
}

// factsScript is the facts script clusterctl runs on the first host of the
// configuration at path (every bench host asks for the same facts).
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

// runSize measures n hosts for runs iterations, rotating the order of the
// measurement units from one iteration to the next.
func (b *bench) runSize(ctx context.Context, n, runs int) ([]result, error) {
	fmt.Fprintf(b.stderr, "== %d hosts\n", n)
	if err := b.prepareSize(ctx, n); err != nil {
		return nil, err
	}
	units := b.measurements(n)
	byKey := map[string]*result{}
	var order []string
	for _, u := range units {
		for _, m := range u {
			byKey[m.key] = &result{N: n, Key: m.key, Label: m.label, Peer: m.peer}
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
	for r := range runs {
		for i := range units {
			for _, m := range units[(i+r)%len(units)] {
				if err := ctx.Err(); err != nil {
					return collect(), err
				}
				s, err := b.measure(ctx, n, m)
				if err != nil {
					return collect(), fmt.Errorf("%d hosts, %s: %w", n, m.label, err)
				}
				res := byKey[m.key]
				res.Samples = append(res.Samples, s)
				fmt.Fprintf(b.stderr, "  run %d  %-45s %6.2fs  cpu %5.2fs  tree %5.2fs  machine %6.2fs  target %6.2fs  rss %5.1f MB  conns %d  sessions %d\n",
					r+1, m.label, s.Wall.Seconds(), s.CPU.Seconds(), s.TreeCPU.Seconds(), s.MachineCPU.Seconds(), s.TargetCPU.Seconds(), float64(s.MaxRSS)/(1<<20), s.Conns, s.Sessions)
			}
		}
	}
	return collect(), nil
}

// measure runs one measurement once.
func (b *bench) measure(ctx context.Context, n int, m measurement) (sample, error) {
	if m.before != nil {
		m.before()
	}
	cmd, err := m.command(ctx)
	if err != nil {
		return sample{}, err
	}
	b.seq++
	group := newCPUGroup(fmt.Sprintf("clusterctl-bench-%d-%d", os.Getpid(), b.seq))
	defer func() {
		if m.after != nil {
			m.after() // again, in case the run failed before its own call
		}
		_ = group.remove()
	}()
	return runMeasured(ctx, cmd, group, b.logs[n], b.targets[n], m.after)
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
	if out, err := exec.Command("ansible", "--version").Output(); err == nil {
		e.Ansible, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
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
