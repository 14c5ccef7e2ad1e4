package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Operations measured on every shape, in report order. Each client runs
// them as one sequence from blank hosts: first (variant 0), plan
// (variant 1, so the plan has a change to show), change (variant 1),
// no-op (variant 1 again).
const (
	opFirst  = "first"  // the first rollout onto blank hosts
	opPlan   = "plan"   // clusterctl plan / ansible-playbook --check --diff
	opChange = "change" // apply / run of variant 1 over variant 0
	opNoop   = "noop"   // the same again: nothing to change
	opFanOut = "fanout" // the OpenSSH fan-out of the facts script (plan's floor)
	opImport = "import" // clusterctl import of the converged hosts (no peer)
)

// ops are the operations both tools run, in report order.
var ops = []string{opPlan, opFirst, opChange, opNoop}

// reportOps are every operation in report order: the OpenSSH floor, the
// operations both tools run, and clusterctl's import, which has no peer.
var reportOps = append(append([]string{opFanOut}, ops...), opImport)

// opLabel says what op is for people.
func opLabel(op string) string {
	switch op {
	case opPlan:
		return "plan / --check --diff"
	case opFirst:
		return "first apply"
	case opChange:
		return "change apply"
	case opNoop:
		return "no-op apply"
	case opFanOut:
		return "fan-out of the facts script"
	case opImport:
		return "import (live)"
	}
	return op
}

// Clients besides the Ansible variants ("ansible f5-facts", ...).
const (
	clientClusterctl = "clusterctl"
	clientOpenSSH    = "openssh"
)

// fanOutScript runs one ssh per host, all at once, and waits for them.
// $1 is the ssh_config, $2 the file fed to each ssh's stdin, $3 the remote
// command; the hosts follow. $SSH_EXTRA holds extra ssh options. A failed
// host prints "FAIL host" on stderr and makes the script exit 1.
const fanOutScript = `cfg=$1 in=$2 cmd=$3
shift 3
fail=$(mktemp)
for h in "$@"; do
	{ ssh -F "$cfg" -o BatchMode=yes $SSH_EXTRA "$h" "$cmd" <"$in" >/dev/null 2>&1 || echo "FAIL $h" >>"$fail"; } &
done
wait
if [ -s "$fail" ]; then cat "$fail" >&2; rm -f "$fail"; exit 1; fi
rm -f "$fail"
`

// measurement is one client run of one operation on one shape.
type measurement struct {
	key    string // shape/client/op, unique per host count
	shape  shape
	client string // clientClusterctl, clientOpenSSH or "ansible " + variant key
	op     string
	label  string // the client as the report names it
	peer   string // clusterctl, openssh or ansible
	// command builds the client command for one run.
	command func(ctx context.Context) (*exec.Cmd, error)
	// before and after run around the measured command, unmeasured.
	before func(ctx context.Context) error
	after  func()
	// check, when set, reads the client's stdout after a successful run:
	// it fails the measurement when the run did not do what op should,
	// and may fill in what the output tells (gate time).
	check func(stdout []byte, s *sample) error
}

// operator returns argv as a command in the lab's operator namespace, in
// its own process group (killed as a whole on ctx's end), with env.
func (b *bench) operator(ctx context.Context, env []string, argv ...string) (*exec.Cmd, error) {
	cmd := b.lab.OperatorCommand(ctx, argv...)
	if cmd.Err != nil {
		return nil, cmd.Err
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd, nil
}

func (b *bench) baseEnv() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=" + b.home}
}

// clusterctl runs the clusterctl binary bin with the lab's key and
// known_hosts.
func (b *bench) clusterctl(ctx context.Context, bin string, env []string, args ...string) (*exec.Cmd, error) {
	argv := append([]string{bin}, args...)
	argv = append(argv, "-i", b.lab.IdentityFile(), "--known-hosts", b.lab.KnownHosts(), "--ssh-config", "none", "--no-color")
	return b.operator(ctx, append(b.baseEnv(), env...), argv...)
}

// clusterctlArgs are the arguments of op on shape s with n hosts
// (apply with --json, read for the gate time).
func (b *bench) clusterctlArgs(n int, s shape, op string) []string {
	var args []string
	switch op {
	case opPlan:
		args = []string{"plan", b.configPath(n, s, 1)}
	case opFirst:
		args = []string{"apply", b.configPath(n, s, 0), "-auto-approve", "--json"}
	case opImport:
		// Every host by name and address, into a directory of its own;
		// a partial import (a shape with nothing keepalived runs) is
		// still written, so the run measures the whole read and check.
		args = []string{"import", "-o", b.importDir(n, s), "--allow-partial"}
		for i := range n {
			args = append(args, hostName(i)+"="+hostAddr(i).String())
		}
		return args
	default:
		args = []string{"apply", b.configPath(n, s, 1), "-auto-approve", "--json"}
	}
	return append(args, s.targets(n)...)
}

// units lists what runs for n hosts of shape s, as rotation units: a
// unit's measurements always run together and in order (each client's
// sequence starts from blank hosts).
func (b *bench) units(n int, s shape, variants []ansibleVariant) [][]measurement {
	var units [][]measurement
	key := func(client, op string) string { return string(s) + "/" + client + "/" + op }
	reset := func(ctx context.Context) error { return b.reset(ctx, n) }
	if b.peers["clusterctl"] {
		var seq []measurement
		for _, op := range []string{opFirst, opPlan, opChange, opNoop} {
			m := measurement{key: key(clientClusterctl, op), shape: s, client: clientClusterctl, op: op, label: "clusterctl", peer: "clusterctl",
				command: func(ctx context.Context) (*exec.Cmd, error) {
					if b.profBin != "" {
						base := filepath.Join(b.opts.profile, fmt.Sprintf("%d-%s-%s-%d", n, s, op, b.seq))
						env := []string{"CLUSTERCTL_CPUPROFILE=" + base + ".cpu.pprof", "CLUSTERCTL_MEMPROFILE=" + base + ".heap.pprof"}
						return b.clusterctl(ctx, b.profBin, env, b.clusterctlArgs(n, s, op)...)
					}
					return b.clusterctl(ctx, b.bin, nil, b.clusterctlArgs(n, s, op)...)
				},
				check: func(out []byte, smp *sample) error { return checkClusterctl(op, out, smp) },
			}
			if op == opFirst {
				m.before = reset
			}
			seq = append(seq, m)
		}
		// Import what the sequence converged to, as an operator adopting
		// it would (measured beside plan; nothing to compare it with).
		seq = append(seq, measurement{key: key(clientClusterctl, opImport), shape: s, client: clientClusterctl, op: opImport, label: "clusterctl", peer: "clusterctl",
			before: func(context.Context) error { return os.RemoveAll(b.importDir(n, s)) },
			command: func(ctx context.Context) (*exec.Cmd, error) {
				return b.clusterctl(ctx, b.bin, nil, b.clusterctlArgs(n, s, opImport)...)
			},
			check: func(out []byte, _ *sample) error { return checkImport(b.importDir(n, s), out) },
		})
		units = append(units, seq)
	}
	if b.peers["openssh"] {
		hosts := make([]string, n)
		for i := range hosts {
			hosts[i] = hostName(i)
		}
		script := b.factsPath(n, s)
		units = append(units, []measurement{{key: key(clientOpenSSH, opFanOut), shape: s, client: clientOpenSSH, op: opFanOut,
			label: "OpenSSH fan-out, facts script, curve25519", peer: "openssh",
			command: func(ctx context.Context) (*exec.Cmd, error) {
				env := append(b.baseEnv(), "SSH_EXTRA=-o KexAlgorithms=curve25519-sha256")
				argv := append([]string{"sh", "-c", fanOutScript, "fanout", b.lab.SSHConfig(), script, "sh -s"}, hosts...)
				return b.operator(ctx, env, argv...)
			}}})
	}
	if b.peers["ansible"] && b.ansible != "" && b.opts.ansibleShapes[s] {
		inv := b.inventoryPath(n, s)
		for _, av := range variants {
			var seq []measurement
			client := "ansible " + av.key()
			for _, op := range []string{opFirst, opPlan, opChange, opNoop} {
				var controlDir string
				m := measurement{key: key(client, op), shape: s, client: client, op: op, label: "ansible-playbook, " + av.String(), peer: "ansible",
					before: func(ctx context.Context) error {
						if op == opFirst {
							if err := reset(ctx); err != nil {
								return err
							}
						}
						b.seq++
						controlDir = filepath.Join(b.dir, "cp", strconv.Itoa(b.seq))
						return os.MkdirAll(controlDir, 0o700)
					},
					command: func(ctx context.Context) (*exec.Cmd, error) {
						v := 1
						if op == opFirst {
							v = 0
						}
						argv := []string{b.ansible, "-i", inv, s.playbook(b.playbooks), "-f", strconv.Itoa(av.Forks), "-e", fmt.Sprintf("bench_variant=%d", v)}
						if op == opPlan {
							argv = append(argv, "--check", "--diff")
						}
						return b.operator(ctx, ansibleEnv(b.baseEnv(), b.dir, controlDir, av.Facts), argv...)
					},
					after: func() { stopMasters(controlDir) },
					check: func(out []byte, _ *sample) error { return parseRecap(out).check(n, op) },
				}
				seq = append(seq, m)
			}
			units = append(units, seq)
		}
	}
	return units
}

// importDir is where the import of n hosts of shape s writes.
func (b *bench) importDir(n int, s shape) string {
	return filepath.Join(b.dir, fmt.Sprintf("n%d", n), string(s)+"-imported")
}

// checkImport checks that an import wrote a configuration into dir.
func checkImport(dir string, out []byte) error {
	if _, err := os.Stat(filepath.Join(dir, "cluster.hcl")); err != nil {
		return fmt.Errorf("import wrote no configuration (%v):\n%s", err, tailString(string(out), 800))
	}
	return nil
}

// checkClusterctl checks a clusterctl run's output: a plan with changes
// to show; an apply whose JSON result is ok (apply then also ended with
// an empty plan), whose rollout is read for waves and gate time.
func checkClusterctl(op string, out []byte, s *sample) error {
	if op == opPlan {
		if !bytes.Contains(out, []byte("Plan: ")) {
			return fmt.Errorf("plan shows no changes:\n%s", tailString(string(out), 800))
		}
		return nil
	}
	r := parseRollout(out)
	if !r.OK {
		return fmt.Errorf("apply did not report ok:\n%s", tailString(string(out), 1500))
	}
	s.Gate, s.Waves = r.Gate, r.Waves
	return nil
}

// reset returns hosts 0..n-1 and the rs director to blank
// (resetScript), unmeasured, 16 at a time.
func (b *bench) reset(ctx context.Context, n int) error {
	return forEachHost(n+1, 16, func(i int) error {
		name := hostName(i)
		if i == n {
			name = rsDirector
		}
		var out bytes.Buffer
		if err := b.lab.Exec(ctx, name, []string{"sh", "-c", resetScript}, nil, &out, &out); err != nil {
			return fmt.Errorf("reset %s: %w: %s", name, err, strings.TrimSpace(out.String()))
		}
		return nil
	})
}

// forEachHost runs fn(0..n-1), limit at once, and joins the errors.
func forEachHost(n, limit int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	done := make(chan struct{})
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			errs[i] = fn(i)
		}()
	}
	for range n {
		<-done
	}
	return errors.Join(errs...)
}

// stopMasters ends the ssh ControlPersist masters Ansible left behind for
// controlDir: every process whose command line names controlDir, by pid.
// It waits up to 5 s for them to go.
func stopMasters(controlDir string) {
	if controlDir == "" {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := processesNaming(controlDir)
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesNaming lists the pids whose command line contains s.
func processesNaming(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}
