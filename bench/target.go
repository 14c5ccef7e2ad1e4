package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// targets are the sshd listeners of the measured lab machines. A
// listener reaps its per-connection sshd, which reaps the session's
// commands, so the listener's own plus its children's accumulated CPU
// (utime, stime, cutime, cstime of /proc/PID/stat) is everything the
// machine spent serving SSH: handshakes, authentication and the remote
// commands.
type targets struct{ pids []int }

// findTargets finds the sshd listener of each network namespace in
// namespaces (names under /run/netns).
func findTargets(namespaces []string) (targets, error) {
	want := map[string]string{} // "net:[inode]" -> namespace
	for _, ns := range namespaces {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join("/run/netns", ns), &st); err != nil {
			return targets{}, fmt.Errorf("namespace %s: %w", ns, err)
		}
		want[fmt.Sprintf("net:[%d]", st.Ino)] = ns
	}
	found := map[string]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return targets{}, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "sshd" {
			continue
		}
		link, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "net"))
		if err != nil {
			continue
		}
		ns, ok := want[link]
		if !ok {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.ppidComm == "sshd" {
			continue // a per-connection sshd, not the listener
		}
		found[ns] = pid
	}
	var t targets
	for _, ns := range namespaces {
		pid, ok := found[ns]
		if !ok {
			return targets{}, fmt.Errorf("no sshd listener in namespace %s", ns)
		}
		t.pids = append(t.pids, pid)
	}
	return t, nil
}

// procStat is what the bench reads from /proc/PID/stat.
type procStat struct {
	ppid     int
	ppidComm string
	cpu      time.Duration // utime+stime+cutime+cstime
}

// readStat reads pid's parent and accumulated CPU.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	st, err := parseProcPIDStat(string(b))
	if err != nil {
		return st, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	if c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", st.ppid)); err == nil {
		st.ppidComm = strings.TrimSpace(string(c))
	}
	return st, nil
}

// parseProcPIDStat parses a /proc/PID/stat line: "pid (comm) state ppid
// ..." with utime, stime, cutime, cstime the 14th to 17th fields, in
// USER_HZ (100 per second).
func parseProcPIDStat(line string) (procStat, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("no ')' in %q", line)
	}
	f := strings.Fields(line[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("short stat line %q", line)
	}
	var st procStat
	var err error
	if st.ppid, err = strconv.Atoi(f[1]); err != nil {
		return st, err
	}
	var ticks int64
	for _, s := range f[11:15] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return st, err
		}
		ticks += v
	}
	st.cpu = time.Duration(ticks) * (time.Second / 100)
	return st, nil
}

// cpu is the accumulated CPU of every listener and what it reaped.
func (t targets) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, pid := range t.pids {
		st, err := readStat(pid)
		if err != nil {
			return 0, err
		}
		sum += st.cpu
	}
	return sum, nil
}

// settle waits (up to timeout) until no listener has a child left, so
// that every connection's CPU has been accumulated.
func (t targets) settle(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for _, pid := range t.pids {
		for time.Now().Before(deadline) {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
			if err != nil || len(strings.TrimSpace(string(b))) == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
