package hostops

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// lockHost runs commands in a real sh, as root, in a private mount
// namespace whose /run/lock is the test's directory; it returns the
// connection and where the lock file is seen from here.
func lockHost(t *testing.T) (*remote.Fake, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (a private mount namespace)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare")
	}
	dir := t.TempDir()
	f := remote.NewFake("h")
	f.HandleDefault(func(cmd remote.Cmd) (remote.Result, error) {
		c := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", `mount --bind "$1" /run/lock && exec /bin/sh -c "$2"`, "sh", dir, cmd.Command)
		c.Stdin = strings.NewReader(string(cmd.Stdin))
		var stdout, stderr strings.Builder
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		res := remote.Result{Stdout: []byte(stdout.String()), Stderr: []byte(stderr.String())}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			res.ExitCode = ee.ExitCode()
			err = nil
		}
		return res, err
	})
	return f, filepath.Join(dir, "clusterctl.lock")
}

// TestLockFactsRealShell takes the lock and gathers facts in one command,
// is refused by a lock held, and releases the lock after gathering facts
// in one command, on a real shell.
func TestLockFactsRealShell(t *testing.T) {
	conn, lock := lockHost(t)
	s := New(conn)
	ctx := context.Background()
	const holder = "id=aaa owner=alice@a pid=1 started=2026-01-01T00:00:00Z\n"
	req := facts.Request{Files: []string{"/etc/hostname"}}
	f, err := s.LockFacts(ctx, holder, req)
	if err != nil {
		t.Fatal(err)
	}
	if !f.LockPresent || f.Lock != holder {
		t.Errorf("facts after the lock: present=%v %q", f.LockPresent, f.Lock)
	}
	if got, _ := os.ReadFile(lock); string(got) != holder {
		t.Errorf("lock file = %q", got)
	}
	if fi, err := os.Stat(lock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode: %v %v", fi, err)
	}
	if len(conn.Log()) != 1 {
		t.Errorf("%d commands, want 1", len(conn.Log()))
	}

	// Held: refused, naming the holder; the lock is untouched.
	_, err = s.LockFacts(ctx, "id=bbb owner=bob@b pid=2 started=x\n", req)
	if !errors.Is(err, ErrLockHeld) || !strings.Contains(err.Error(), "owner=alice@a") {
		t.Errorf("second LockFacts: %v", err)
	}
	if err := s.Lock(ctx, "id=bbb owner=bob@b\n"); !errors.Is(err, ErrLockHeld) {
		t.Errorf("Lock over LockFacts: %v", err)
	}

	// Another id does not release it; ours does, after the facts.
	if _, err := s.FactsUnlock(ctx, req, "bbb"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("another id released the lock: %v", err)
	}
	f, err = s.FactsUnlock(ctx, req, "aaa")
	if err != nil {
		t.Fatal(err)
	}
	if !f.LockPresent {
		t.Error("the facts were gathered after the unlock")
	}
	if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock left after FactsUnlock: %v", err)
	}
	if f, err := s.Facts(ctx, req); err != nil || f.LockPresent {
		t.Errorf("facts after the unlock: %v, present=%v", err, f != nil && f.LockPresent)
	}
	if err := s.Lock(ctx, holder); err != nil {
		t.Errorf("Lock after FactsUnlock: %v", err)
	}
	if got, _ := os.ReadFile(lock); string(got) != holder {
		t.Errorf("lock file = %q", got)
	}
}
