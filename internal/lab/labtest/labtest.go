// Package labtest holds helpers for tests that build local labs: the
// opt-in switch, unique lab names, and the check that a lab left nothing
// behind on the host.
package labtest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Require skips the test unless lab tests are enabled (root and
// CLUSTERCTL_LAB_TESTS=1).
func Require(t *testing.T) {
	t.Helper()
	if os.Getenv("CLUSTERCTL_LAB_TESTS") != "1" {
		t.Skip("lab tests create namespaces, mounts and sshd processes: set CLUSTERCTL_LAB_TESTS=1 and run as root")
	}
	if os.Geteuid() != 0 {
		t.Skip("lab tests need root")
	}
}

// UniqueName is a lab name no other test run uses.
func UniqueName(t *testing.T) string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("ct%x", b)
}

// AssertNothingLeft checks that no trace of the lab remains on the host:
// no namespace, mount, process or state directory.
func AssertNothingLeft(t *testing.T, name, stateDir string) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, name+"-") {
			t.Errorf("namespace left: %s", line)
		}
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, stateDir) || strings.Contains(line, "/run/netns/"+name+"-") {
			t.Errorf("mount left: %s", line)
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		c := string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		if strings.Contains(c, stateDir) || strings.Contains(c, "netns/"+name+"-") || strings.Contains(c, " "+name+"-") {
			t.Errorf("process left: %s %s", e.Name(), c)
		}
	}
	if _, err := os.Stat(stateDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir %s still there (stat: %v)", stateDir, err)
	}
}
