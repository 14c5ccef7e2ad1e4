package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is one measured run of one client.
type sample struct {
	// Wall is the client's wall time, start to exit.
	Wall time.Duration
	// CPU is the client's user+system time from its rusage: the process
	// and every descendant it waited for (not daemonised ones).
	CPU time.Duration
	// TreeCPU is the CPU of every process the client started, daemonised
	// ones included (cpuacct cgroup); equal to CPU when no cgroup is
	// available.
	TreeCPU time.Duration
	// MachineCPU is the CPU the whole machine spent during the run
	// (/proc/stat): client, target sshds and their commands, everything.
	MachineCPU time.Duration
	// TargetCPU is the CPU the measured machines' sshds spent serving
	// the run: handshakes, authentication and the remote commands.
	TargetCPU time.Duration
	// MaxRSS is the rusage peak resident set size: the largest single
	// process of the client's waited-for tree, not their sum.
	MaxRSS int64 // bytes
	// Conns and Sessions are the SSH connections accepted and sessions
	// started, summed over the measured hosts' sshd logs.
	Conns, Sessions int
	// Gate is the time a clusterctl apply spent in its gates (per wave,
	// the longest, summed) and Waves its director waves, read from
	// apply's JSON output; zero for everything else.
	Gate  time.Duration
	Waves int
}

// cpuGroup is a cpuacct cgroup (v1) that collects a client's process
// tree; the zero value means no cgroup (TreeCPU falls back to rusage).
type cpuGroup struct{ dir string }

const cpuacctRoot = "/sys/fs/cgroup/cpuacct"

// newCPUGroup creates a fresh cpuacct cgroup, or returns the zero group
// when cgroup v1 cpuacct is not mounted or writable.
func newCPUGroup(name string) cpuGroup {
	dir := filepath.Join(cpuacctRoot, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return cpuGroup{}
	}
	return cpuGroup{dir: dir}
}

func (g cpuGroup) usage() (time.Duration, bool) {
	if g.dir == "" {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(g.dir, "cpuacct.usage"))
	if err != nil {
		return 0, false
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(ns), true
}

// remove deletes the cgroup; it fails while processes remain in it.
func (g cpuGroup) remove() error {
	if g.dir == "" {
		return nil
	}
	return os.Remove(g.dir)
}

// wrap makes cmd join the cgroup before it execs its program: cmd then
// runs `sh -c 'echo $$ >PROCS; exec "$@"'`. cmd.Err (set by
// lab.OperatorCommand when the namespace is missing) is kept.
func (g cpuGroup) wrap(cmd *exec.Cmd) {
	if g.dir == "" {
		return
	}
	args := append([]string{"sh", "-c", `echo $$ >"$0" && exec "$@"`, filepath.Join(g.dir, "cgroup.procs"), cmd.Path}, cmd.Args[1:]...)
	cmd.Path, cmd.Args = "/bin/sh", args
}

// machineCPU returns the CPU time the whole machine has spent (all CPUs,
// idle and iowait excluded) since boot, from /proc/stat.
func machineCPU() (time.Duration, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return 0, err
	}
	return parseProcStatCPU(line)
}

// parseProcStatCPU reads the aggregate "cpu" line of /proc/stat: user nice
// system idle iowait irq softirq steal ..., in USER_HZ (100 per second on
// Linux). Busy time is everything but idle and iowait.
func parseProcStatCPU(line string) (time.Duration, error) {
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, s := range f[1:] {
		if i >= 8 {
			break // guest times are already counted in user
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		busy += v
	}
	return time.Duration(busy) * (time.Second / 100), nil
}

// sshdLogs tracks the sshd log of each measured machine. sshd runs at
// LogLevel VERBOSE: "Accepted publickey" is one connection, "Starting
// session:" one session (one exec, shell or subsystem request, i.e. one
// round trip of a command).
type sshdLogs struct {
	paths []string
	sizes []int64
}

func newSSHDLogs(paths []string) *sshdLogs {
	return &sshdLogs{paths: paths, sizes: make([]int64, len(paths))}
}

// mark remembers where each log ends now.
func (l *sshdLogs) mark() error {
	for i, p := range l.paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("sshd log: %w", err)
		}
		l.sizes[i] = st.Size()
	}
	return nil
}

// count returns the connections and sessions logged since mark.
func (l *sshdLogs) count() (conns, sessions int, err error) {
	for i, p := range l.paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, 0, fmt.Errorf("sshd log: %w", err)
		}
		_, err = f.Seek(l.sizes[i], io.SeekStart)
		var b []byte
		if err == nil {
			b, err = io.ReadAll(f)
		}
		f.Close()
		if err != nil {
			return 0, 0, fmt.Errorf("sshd log %s: %w", p, err)
		}
		c, s := countSSHDLog(b)
		conns += c
		sessions += s
	}
	return conns, sessions, nil
}

// countSSHDLog counts accepted connections and started sessions in a piece
// of an sshd log.
func countSSHDLog(b []byte) (conns, sessions int) {
	for line := range bytes.Lines(b) {
		switch {
		case bytes.Contains(line, []byte("Accepted publickey for ")):
			conns++
		case bytes.Contains(line, []byte("Starting session: ")):
			sessions++
		}
	}
	return conns, sessions
}

// runMeasured runs cmd (already set up with its streams) and measures it.
// after (may be nil) runs once the client exited, before the target CPU
// and sshd logs are read. A client that exits non-zero is an error
// carrying the tail of stderr.
func runMeasured(ctx context.Context, cmd *exec.Cmd, group cpuGroup, logs *sshdLogs, tg targets, after func()) (sample, error) {
	var s sample
	if err := logs.mark(); err != nil {
		return s, err
	}
	tg.settle(5 * time.Second) // connections of earlier runs end first
	target0, err := tg.cpu()
	if err != nil {
		return s, err
	}
	var stderr bytes.Buffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	group.wrap(cmd)
	cpu0, err := machineCPU()
	if err != nil {
		return s, err
	}
	tree0, _ := group.usage()
	start := time.Now()
	runErr := cmd.Run()
	s.Wall = time.Since(start)
	cpu1, err := machineCPU()
	if err != nil {
		return s, err
	}
	s.MachineCPU = cpu1 - cpu0
	if ps := cmd.ProcessState; ps != nil {
		s.CPU = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			s.MaxRSS = ru.Maxrss * 1024
		}
	}
	s.TreeCPU = s.CPU
	if after != nil {
		after()
	}
	if tree1, ok := group.usage(); ok {
		s.TreeCPU = tree1 - tree0
	}
	tg.settle(5 * time.Second)
	target1, err := tg.cpu()
	if err != nil {
		return s, err
	}
	s.TargetCPU = target1 - target0
	if runErr != nil {
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		var ee *exec.ExitError
		msg := strings.TrimSpace(tailString(stderr.String(), 1500))
		if errors.As(runErr, &ee) && msg != "" {
			return s, fmt.Errorf("%w: %s", runErr, msg)
		}
		return s, runErr
	}
	s.Conns, s.Sessions, err = logs.count()
	return s, err
}

func tailString(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
