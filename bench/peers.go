package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Measurement keys, in report order.
const (
	keyPlan         = "plan"          // clusterctl plan, default --gather-parallelism
	keyPlanN        = "plan-pN"       // clusterctl plan --gather-parallelism N
	keySSHFacts     = "ssh-facts"     // OpenSSH fan-out of the facts script, default kex
	keySSHFacts255  = "ssh-facts-c25" // the same with curve25519-sha256
	keySSHSmall     = "ssh-small"     // OpenSSH fan-out of lab-facts' small command
	keyAnsibleSetup = "ansible-setup" // ansible -m setup
	keyAnsibleMin   = "ansible-min"   // ansible -m setup -a gather_subset=min
	keyApplyChange  = "apply-change"  // clusterctl apply of a changed sysctl and file
	keyApplyNoop    = "apply-noop"    // clusterctl apply with nothing to do
)

// smallCommand is the "small facts command" of ../shared/lab-facts.md.
const smallCommand = "hostname; cat /etc/os-release; ip -o addr; sysctl net.ipv4.ip_forward"

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

// measurement is one kind of client run.
type measurement struct {
	key   string
	label string // what the table calls it
	peer  string // clusterctl, openssh or ansible
	// command builds the client command for one run.
	command func(ctx context.Context) (*exec.Cmd, error)
	// before and after run around the measured command, unmeasured.
	before func()
	after  func()
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

// clusterctl runs the clusterctl binary with the lab's key and known_hosts.
func (b *bench) clusterctl(ctx context.Context, args ...string) (*exec.Cmd, error) {
	argv := append([]string{b.bin}, args...)
	argv = append(argv, "-i", b.lab.IdentityFile(), "--known-hosts", b.lab.KnownHosts(), "--ssh-config", "none", "--no-color")
	return b.operator(ctx, b.baseEnv(), argv...)
}

// measurements lists what runs for n hosts with the selected peers, as
// rotation units: a unit's measurements always run together in order
// (apply-change must precede apply-noop).
func (b *bench) measurements(n int) [][]measurement {
	var units [][]measurement
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = hostName(i)
	}
	if b.peers["clusterctl"] {
		units = append(units, []measurement{{
			key: keyPlan, label: fmt.Sprintf("clusterctl plan (default --gather-parallelism %d)", defaultGather), peer: "clusterctl",
			command: func(ctx context.Context) (*exec.Cmd, error) {
				return b.clusterctl(ctx, "plan", b.configPath(n, b.current))
			},
		}})
		if n > defaultGather {
			units = append(units, []measurement{{
				key: keyPlanN, label: fmt.Sprintf("clusterctl plan --gather-parallelism %d", n), peer: "clusterctl",
				command: func(ctx context.Context) (*exec.Cmd, error) {
					return b.clusterctl(ctx, "plan", b.configPath(n, b.current), "--gather-parallelism", strconv.Itoa(n))
				},
			}})
		}
	}
	if b.peers["openssh"] {
		fanOut := func(key, label, in, remoteCmd, extra string) []measurement {
			return []measurement{{key: key, label: label, peer: "openssh",
				command: func(ctx context.Context) (*exec.Cmd, error) {
					env := append(b.baseEnv(), "SSH_EXTRA="+extra)
					argv := append([]string{"sh", "-c", fanOutScript, "fanout", b.lab.SSHConfig(), in, remoteCmd}, hosts...)
					return b.operator(ctx, env, argv...)
				}}}
		}
		units = append(units,
			fanOut(keySSHFacts, "OpenSSH fan-out, facts script", b.factsScript, "sh -s", ""),
			fanOut(keySSHFacts255, "OpenSSH fan-out, facts script, curve25519", b.factsScript, "sh -s", "-o KexAlgorithms=curve25519-sha256"),
			fanOut(keySSHSmall, "OpenSSH fan-out, small command", os.DevNull, smallCommand, ""),
		)
	}
	if b.peers["ansible"] && b.ansible != "" {
		inv := filepath.Join(b.dir, fmt.Sprintf("inventory-%d.ini", n))
		ansible := func(key, label string, extra ...string) []measurement {
			var controlDir string
			return []measurement{{key: key, label: label, peer: "ansible",
				before: func() {
					b.seq++
					controlDir = filepath.Join(b.dir, "cp", strconv.Itoa(b.seq))
					_ = os.MkdirAll(controlDir, 0o700)
				},
				command: func(ctx context.Context) (*exec.Cmd, error) {
					env := append(b.baseEnv(),
						"ANSIBLE_SSH_CONTROL_PATH_DIR="+controlDir,
						"ANSIBLE_LOCAL_TEMP="+filepath.Join(b.dir, "ansible-tmp"),
						"ANSIBLE_HOST_KEY_CHECKING=True",
						"ANSIBLE_NOCOLOR=1",
						"ANSIBLE_DEPRECATION_WARNINGS=False",
						"ANSIBLE_RETRY_FILES_ENABLED=False",
					)
					argv := append([]string{b.ansible, "all", "-i", inv, "-m", "setup", "-f", strconv.Itoa(n)}, extra...)
					return b.operator(ctx, env, argv...)
				},
				after: func() { stopMasters(controlDir) },
			}}
		}
		units = append(units,
			ansible(keyAnsibleSetup, "ansible -m setup"),
			ansible(keyAnsibleMin, "ansible -m setup -a gather_subset=min", "-a", "gather_subset=min"),
		)
	}
	if b.peers["clusterctl"] {
		units = append(units, []measurement{
			{key: keyApplyChange, label: "clusterctl apply, sysctl + file changed", peer: "clusterctl",
				before: func() { b.current = 1 - b.current },
				command: func(ctx context.Context) (*exec.Cmd, error) {
					return b.clusterctl(ctx, "apply", b.configPath(n, b.current), "-auto-approve")
				}},
			{key: keyApplyNoop, label: "clusterctl apply, no changes", peer: "clusterctl",
				command: func(ctx context.Context) (*exec.Cmd, error) {
					return b.clusterctl(ctx, "apply", b.configPath(n, b.current), "-auto-approve")
				}},
		})
	}
	return units
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
