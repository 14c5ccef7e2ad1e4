package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// readProcess returns pid's identity and whether it is a zombie.
func readProcess(pid int) (p process, zombie bool, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return process{}, false, err
	}
	// The command name is in parentheses and may hold spaces: fields start
	// after the last ')'. Field 3 is the state, field 22 the start time.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return process{}, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return process{}, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return process{}, false, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return process{PID: pid, Start: start}, f[0] == "Z", nil
}

// alive reports whether p is still the same, non-zombie process.
func (p process) alive() bool {
	if p.PID <= 0 {
		return false
	}
	now, zombie, err := readProcess(p.PID)
	return err == nil && !zombie && now.Start == p.Start
}

// kill sends SIGKILL to p if it is still the same process.
func (p process) kill() {
	if p.alive() {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
	}
}

// firstChild returns the first child of pid (unshare has exactly one).
func firstChild(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("process %d has no child", pid)
	}
	return strconv.Atoi(f[0])
}

// nsfsMagic is the file system type of namespace files (NSFS_MAGIC).
const nsfsMagic = 0x6e736673

// netnsPath is where iproute2 keeps the named network namespace ns.
func netnsPath(ns string) string { return filepath.Join("/run/netns", ns) }

// netnsInode returns the inode of the named network namespace ns, or false
// when no such namespace is mounted.
func netnsInode(ns string) (uint64, bool) {
	var fs unix.Statfs_t
	if err := unix.Statfs(netnsPath(ns), &fs); err != nil || fs.Type != nsfsMagic {
		return 0, false
	}
	var st unix.Stat_t
	if err := unix.Stat(netnsPath(ns), &st); err != nil {
		return 0, false
	}
	return st.Ino, true
}

// processesInNetns lists the processes whose network namespace is one of
// inodes.
func processesInNetns(inodes map[uint64]bool) []process {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err != nil {
			continue
		}
		// "net:[4026532281]"
		ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "net:["), "]"), 10, 64)
		if err != nil || !inodes[ino] {
			continue
		}
		if p, zombie, err := readProcess(pid); err == nil && !zombie {
			out = append(out, p)
		}
	}
	return out
}
