package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// keepalivedSandbox runs the real `keepalived -t -f FILE` where a host's
// interfaces and scripts exist, without changing this machine: a network
// namespace and a private mount namespace held open by one `sleep`
// process, with a tmpfs over every directory a configuration's scripts may
// live in (scriptDirs) and over /run, where the rendered files go. Both
// namespaces have no name (nothing under /run/netns) and vanish when that
// process ends; the test ends it in t.Cleanup, and the kernel ends it if
// the test process dies (Pdeathsig). The network namespace has no route
// and no link to the outside: nothing is sent anywhere.
type keepalivedSandbox struct {
	holder *exec.Cmd
	// root is the holder's view of the file system (/proc/PID/root):
	// files written under root+dir land in the sandbox's tmpfs.
	root string
}

// sandboxWorkDir is where the rendered files and the driver script go,
// inside the sandbox.
const sandboxWorkDir = "/run/clusterctl-property"

// tmpfsMagic is statfs's f_type of a tmpfs.
const tmpfsMagic = 0x01021994

func newKeepalivedSandbox(t *testing.T) *keepalivedSandbox {
	t.Helper()
	for _, tool := range []string{"unshare", "nsenter", "ip", "keepalived", "sleep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the keepalived property test needs %s: %v", tool, err)
		}
	}
	holder := exec.Command("unshare", "--net", "--mount", "--propagation", "private", "--", "sleep", "infinity")
	holder.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := holder.Start(); err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	s := &keepalivedSandbox{holder: holder, root: fmt.Sprintf("/proc/%d/root", holder.Process.Pid)}
	t.Cleanup(func() {
		_ = holder.Process.Kill()
		_ = holder.Wait()
	})
	// unshare execs sleep once both namespaces exist.
	self, _ := os.Readlink("/proc/self/ns/net")
	deadline := time.Now().Add(10 * time.Second)
	for {
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", holder.Process.Pid))
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", holder.Process.Pid))
		if err == nil && ns != self && strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox did not come up (net ns %q, comm %q, %v)", ns, comm, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	setup := "set -e\nip link set lo up\n"
	for _, d := range append(append([]string(nil), scriptDirs...), "/run") {
		setup += "mount -t tmpfs -o mode=0755,size=64m clusterctl-property " + d + "\n"
	}
	setup += "mkdir -m 0755 " + sandboxWorkDir + "\n"
	if out, err := s.enter("sh", "-c", setup).CombinedOutput(); err != nil {
		t.Fatalf("set up the sandbox: %v\n%s", err, out)
	}
	for _, d := range append(append([]string(nil), scriptDirs...), "/run") {
		if err := s.checkTmpfs(d); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// enter returns a command run inside the sandbox's namespaces.
func (s *keepalivedSandbox) enter(args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"-t", strconv.Itoa(s.holder.Process.Pid), "--net", "--mount", "--"}, args...)...)
}

// checkTmpfs makes sure that dir, seen from the sandbox, is one of its
// tmpfs mounts, so that writing there cannot touch this machine's files.
func (s *keepalivedSandbox) checkTmpfs(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.root+dir, &st); err != nil {
		return fmt.Errorf("sandbox %s: %w", dir, err)
	}
	if st.Type != tmpfsMagic {
		return fmt.Errorf("sandbox %s is not a tmpfs (f_type %#x): refusing to write there", dir, st.Type)
	}
	return nil
}

// sandboxHost is what one host's check needs: its keepalived.conf, the
// interfaces (with addresses) that must exist, and the executable files
// (path → content) its configuration names.
type sandboxHost struct {
	Name       string
	Conf       []byte
	Interfaces map[string][]netip.Prefix
	Scripts    map[string][]byte
}

// sandboxResult is what `keepalived -t` said about one host's file.
type sandboxResult struct {
	Host     string
	ExitCode int
	Output   string // stdout and stderr; empty for a clean file
}

// Check writes the hosts' scripts (all at once: hosts of one
// configuration agree on them) and files into the sandbox, replacing
// those of the previous call, then for each host creates exactly its
// interfaces and runs keepalived -t on its file.
func (s *keepalivedSandbox) Check(hosts []sandboxHost) ([]sandboxResult, error) {
	for _, d := range append(append([]string(nil), scriptDirs...), sandboxWorkDir) {
		if err := s.checkTmpfs(d); err != nil {
			return nil, err
		}
		entries, err := os.ReadDir(s.root + d)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if err := os.RemoveAll(s.root + d + "/" + e.Name()); err != nil {
				return nil, err
			}
		}
	}
	for _, h := range hosts {
		for path, content := range h.Scripts {
			if !inScriptDirs(path) {
				return nil, fmt.Errorf("script %s is outside the sandbox's directories", path)
			}
			if err := writeSandboxFile(s.root+path, content, 0o755); err != nil {
				return nil, err
			}
		}
	}
	var driver strings.Builder
	driver.WriteString("cd /\n")
	var previous []string
	for i, h := range hosts {
		conf := fmt.Sprintf("%s/%d.conf", sandboxWorkDir, i)
		if err := writeSandboxFile(s.root+conf, h.Conf, 0o640); err != nil {
			return nil, err
		}
		var batch strings.Builder
		batch.WriteString(removeLinks(previous))
		previous = previous[:0]
		for name, addrs := range h.Interfaces {
			if name != "lo" { // the loopback is always there
				fmt.Fprintf(&batch, "link add %s type bridge\nlink set %s up\n", name, name)
			}
			for _, a := range addrs {
				fmt.Fprintf(&batch, "addr add %s dev %s\n", a, name)
			}
			previous = append(previous, name)
		}
		ipBatch := fmt.Sprintf("%s/%d.ip", sandboxWorkDir, i)
		if err := writeSandboxFile(s.root+ipBatch, []byte(batch.String()), 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(&driver, "ip -batch %s >&2 || { echo '@@ip-failed'; exit 1; }\n", ipBatch)
		fmt.Fprintf(&driver, "echo '@@host %d'\nkeepalived -t -f %s 2>&1\necho \"@@rc $?\"\n", i, conf)
	}
	if len(previous) > 0 {
		last := sandboxWorkDir + "/last.ip"
		if err := writeSandboxFile(s.root+last, []byte(removeLinks(previous)), 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(&driver, "ip -batch %s >&2 || { echo '@@ip-failed'; exit 1; }\n", last)
	}
	script := sandboxWorkDir + "/driver.sh"
	if err := writeSandboxFile(s.root+script, []byte(driver.String()), 0o755); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := s.enter("sh", script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sandbox driver: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	return parseDriverOutput(stdout.String(), hosts)
}

// removeLinks returns `ip -batch` lines that undo a host's interfaces:
// delete the links, and give the loopback back its own addresses only.
func removeLinks(names []string) string {
	var b strings.Builder
	for _, name := range names {
		if name == "lo" {
			b.WriteString("addr flush dev lo\naddr add 127.0.0.1/8 dev lo\naddr add ::1/128 dev lo\n")
			continue
		}
		fmt.Fprintf(&b, "link del %s\n", name)
	}
	return b.String()
}

func inScriptDirs(path string) bool {
	for _, d := range scriptDirs {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// writeSandboxFile creates path's parent directories (0755) and writes
// the file with mode, owned by root (the test runs as root).
func writeSandboxFile(path string, content []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, content, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

func parseDriverOutput(out string, hosts []sandboxHost) ([]sandboxResult, error) {
	var results []sandboxResult
	var cur *sandboxResult
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "@@host "):
			i, err := strconv.Atoi(strings.TrimPrefix(line, "@@host "))
			if err != nil || i < 0 || i >= len(hosts) {
				return nil, fmt.Errorf("driver output: bad line %q", line)
			}
			results = append(results, sandboxResult{Host: hosts[i].Name})
			cur = &results[len(results)-1]
		case strings.HasPrefix(line, "@@rc "):
			if cur == nil {
				return nil, fmt.Errorf("driver output: %q before a host", line)
			}
			rc, err := strconv.Atoi(strings.TrimPrefix(line, "@@rc "))
			if err != nil {
				return nil, fmt.Errorf("driver output: bad line %q", line)
			}
			cur.ExitCode = rc
			cur = nil
		case line == "@@ip-failed":
			return nil, errors.New("the sandbox could not create a host's interfaces")
		case cur != nil && line != "":
			cur.Output += line + "\n"
		}
	}
	if len(results) != len(hosts) {
		return nil, fmt.Errorf("driver output: %d results for %d hosts:\n%s", len(results), len(hosts), out)
	}
	return results, nil
}
