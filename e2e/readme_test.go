package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/secret"

	"github.com/clusterctl/clusterctl/internal/lab/labtest"
)

// runBinary runs the clusterctl binary on this machine (not in a lab
// namespace: the lab commands build and enter namespaces themselves).
func runBinary(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("clusterctl %v: %v", args, err)
	}
	t.Logf("$ clusterctl %s → exit %d\n%s", strings.Join(args, " "), code, out.String())
	return out.String(), code
}

// TestLabRunReadme is the README's main command: lab run reproduces lab A
// (up, apply, verify), the running lab answers status and plan through
// --lab, and lab down leaves nothing behind.
func TestLabRunReadme(t *testing.T) {
	labtest.Require(t)
	name := labtest.UniqueName(t)
	stateDir := filepath.Join("/run/clusterctl-lab", name)
	example := exampleDir("ha-nginx")
	t.Cleanup(func() {
		runBinary(t, "lab", "down", "--name", name)
		labtest.AssertNothingLeft(t, name, stateDir)
	})
	out, code := runBinary(t, "lab", "run", example, "--name", name, "--no-color")
	if code != 0 {
		t.Fatalf("lab run: exit %d", code)
	}
	mustContain(t, "lab run", out, "Apply complete!", "Verify passed: 5 passed, 0 failed")
	if secret.Appears(out, "aminglin") {
		t.Errorf("lab run printed the VRRP password")
	}
	out, code = runBinary(t, "status", "--lab", name, example, "--no-color")
	if code != 0 {
		t.Errorf("status --lab: exit %d, want 0 (healthy)", code)
	}
	mustContain(t, "status --lab", out, "192.168.19.100/32  ok     web1", "Status: healthy.")
	out, code = runBinary(t, "plan", "--lab", name, example, "-detailed-exitcode", "--no-color")
	if code != 0 {
		t.Errorf("plan --lab after lab run: exit %d, want 0", code)
	}
	mustContain(t, "plan --lab", out, "No changes.")
	// A second lab run reuses the lab and changes nothing.
	out, code = runBinary(t, "lab", "run", example, "--name", name, "--skip-verify", "--no-color")
	if code != 0 {
		t.Fatalf("second lab run: exit %d", code)
	}
	mustContain(t, "second lab run", out, "Reusing the running lab", "No changes.")
}
