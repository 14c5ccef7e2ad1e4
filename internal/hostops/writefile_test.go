package hostops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

var conf = resource.File{Path: "/etc/keepalived/keepalived.conf", Content: []byte("new\n"), Mode: 0o640, Owner: "root", Group: "root", Validate: resource.ValidateKeepalived}

// TestWriteFileTranscript pins the one command of an atomic file write
// and checks that the content travels on its stdin.
func TestWriteFileTranscript(t *testing.T) {
	f := remote.NewFake("h")
	f.HandleDefault(func(cmd remote.Cmd) (remote.Result, error) {
		if string(cmd.Stdin) != "new\n" {
			t.Errorf("stdin = %q", cmd.Stdin)
		}
		return remote.Result{}, nil
	})
	if err := New(f).WriteFile(context.Background(), conf, "20260101T000000Z"); err != nil {
		t.Fatal(err)
	}
	if len(f.Log()) != 1 {
		t.Errorf("%d operations, want 1", len(f.Log()))
	}
	got := regexp.MustCompile(`\.[0-9a-f]{12}\.tmp`).ReplaceAllString(f.Transcript(), ".RANDOM.tmp")
	golden.Check(t, "writefile.transcript", got)
}

// TestWriteFileErrors maps each exit status of the command to the error
// naming its stage, and a transport failure to an error that says
// nothing about the file.
func TestWriteFileErrors(t *testing.T) {
	tests := []struct {
		res  remote.Result
		want string
		is   error
	}{
		{remote.Result{ExitCode: 71, Stderr: []byte("mkdir: cannot create directory '/etc/x': Read-only file system\n")}, "upload: command failed (exit 71): mkdir: cannot create directory '/etc/x': Read-only file system", ErrCommandFailed},
		{remote.Result{ExitCode: 72, Stderr: []byte("chown: invalid user: 'nobody2:root'\n")}, "set owner and mode: command failed (exit 72): chown: invalid user: 'nobody2:root'", ErrCommandFailed},
		{remote.Result{ExitCode: 73, Stderr: []byte("(Line 4) number '351' outside range [1, 255]\nclusterctl: validator exited 5\n")}, "rejected by validation on the host: keepalived -t -f (new keepalived.conf) exited 5; the old file and the running service are untouched:\n(Line 4) number '351' outside range [1, 255]", ErrValidation},
		{remote.Result{ExitCode: 73, Stderr: []byte("Killed\n")}, "validate: command failed (exit 73): Killed", ErrCommandFailed},
		{remote.Result{ExitCode: 74, Stderr: []byte("cp: error writing: No space left on device\n")}, "back up the old file: command failed (exit 74): cp: error writing: No space left on device", ErrCommandFailed},
		{remote.Result{ExitCode: 76, Stderr: []byte("clusterctl: /etc/keepalived/keepalived.conf is a directory\n")}, "rename into place: command failed (exit 76): clusterctl: /etc/keepalived/keepalived.conf is a directory", ErrCommandFailed},
		{remote.Result{ExitCode: 1, Stderr: []byte("sudo: a password is required\n")}, "write file: command failed (exit 1): sudo: a password is required", ErrCommandFailed},
	}
	for _, tt := range tests {
		f := remote.NewFake("h")
		f.HandleDefault(func(remote.Cmd) (remote.Result, error) { return tt.res, nil })
		err := New(f).WriteFile(context.Background(), conf, "s")
		if err == nil || err.Error() != tt.want || !errors.Is(err, tt.is) {
			t.Errorf("exit %d: err = %v\nwant %s", tt.res.ExitCode, err, tt.want)
		}
		if errors.Is(tt.is, ErrCommandFailed) && errors.Is(err, ErrValidation) {
			t.Errorf("exit %d is not a validation error: %v", tt.res.ExitCode, err)
		}
	}
	f := remote.NewFake("h")
	lost := errors.New("ssh: connection lost")
	f.FailNth(1, lost)
	if err := New(f).WriteFile(context.Background(), conf, "s"); !errors.Is(err, lost) || errors.Is(err, ErrValidation) || errors.Is(err, ErrCommandFailed) {
		t.Errorf("lost reply: %v", err)
	}
}

// shellHost runs WriteFile's command in a real sh, as root, in a private
// mount namespace whose /var/lib is the test's directory: the target
// (under /var/lib/t) and the backups (under /var/lib/clusterctl/backup)
// land there and nowhere else. Every external command the script calls
// goes through a wrapper in stubs that logs it and, on request, stops
// before or after it (for a kill) or fails it.
type shellHost struct {
	t     *testing.T
	root  string // what the namespace sees as /var/lib
	stubs string // wrappers and the keepalived stand-in
	log   string // one line per external command run
	mark  string // created when the script stops at the requested point
	conf  resource.File
	// stopAt is "before N" or "after N" (the N-th external command): the
	// wrapper creates mark and sleeps there, for the test to kill.
	stopAt string
	// slowUpload feeds half the content, then waits to be killed.
	slowUpload bool
	// rejects makes the keepalived stand-in reject the file (exit 5).
	rejects bool
	// preamble runs in the namespace before the command.
	preamble string
}

// wrapped are the external commands WriteFile's script runs.
var wrapped = []string{"mkdir", "cat", "chown", "chmod", "cp", "sync", "mv", "rm"}

func newShellHost(t *testing.T) *shellHost {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (a private mount namespace, chown)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare")
	}
	dir := t.TempDir()
	h := &shellHost{t: t, root: filepath.Join(dir, "varlib"), stubs: filepath.Join(dir, "stubs"), log: filepath.Join(dir, "log"), mark: filepath.Join(dir, "mark")}
	for _, d := range []string{h.root, h.stubs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The keepalived stand-in: accepts the file, or rejects it as
	// keepalived 2.2.7 does a VRID out of range.
	standIn := filepath.Join(dir, "keepalived-stand-in")
	if err := os.WriteFile(standIn, []byte(`#!/bin/sh
[ "$1 $2" = "-t -f" ] || exit 2
if [ -e `+filepath.Join(dir, "rejects")+` ]; then echo "(Line 4) number '351' outside range [1, 255]" >&2; exit 5; fi
exit 0
`), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(slices.Clone(wrapped), "keepalived") {
		run := name
		if name == "keepalived" {
			run = standIn
		} else if _, err := exec.LookPath(name); err != nil {
			t.Skipf("needs %s", name)
		}
		h.stub(name, fmt.Sprintf(`echo %[1]s >> %[2]s
n=$(/bin/sh -c 'n=0; while read -r _; do n=$((n+1)); done < %[2]s; echo $n')
if [ "$STOPAT" = "before $n" ]; then : > %[3]s; exec sleep 600; fi
PATH=/usr/sbin:/usr/bin:/sbin:/bin %[4]s "$@"
rc=$?
if [ "$STOPAT" = "after $n" ]; then : > %[3]s; exec sleep 600; fi
exit $rc
`, name, h.log, h.mark, run))
	}
	h.conf = resource.File{Path: "/var/lib/t/keepalived.conf", Content: []byte(strings.Repeat("new line\n", 4000)), Mode: 0o640, Owner: "root", Group: "root", Validate: resource.ValidateKeepalived}
	return h
}

func (h *shellHost) stub(name, body string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.stubs, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		h.t.Fatal(err)
	}
}

// path is where the namespace's path p (under /var/lib) is seen from here.
func (h *shellHost) path(p string) string {
	return filepath.Join(h.root, strings.TrimPrefix(p, "/var/lib"))
}

// Run implements the command runner of a remote.Fake handler.
func (h *shellHost) run(cmd remote.Cmd) (remote.Result, error) {
	if h.rejects {
		_ = os.WriteFile(filepath.Join(filepath.Dir(h.stubs), "rejects"), nil, 0o644)
	}
	c := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", `mount --bind "$1" /var/lib && eval "$2" && exec /bin/sh -c "$3"`, "sh", h.root, h.preamble+":", cmd.Command)
	c.Env = []string{"PATH=" + h.stubs + ":/usr/sbin:/usr/bin:/sbin:/bin", "STOPAT=" + h.stopAt}
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr strings.Builder
	c.Stdout, c.Stderr = &stdout, &stderr
	stdin, err := c.StdinPipe()
	if err != nil {
		return remote.Result{}, err
	}
	if err := c.Start(); err != nil {
		return remote.Result{}, err
	}
	kill := func() { _ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	if h.slowUpload {
		_, _ = stdin.Write(cmd.Stdin[:len(cmd.Stdin)/2])
		h.waitFor(func() bool { return h.tempSize() >= int64(len(cmd.Stdin)/2) })
		kill()
	} else {
		_, _ = stdin.Write(cmd.Stdin)
	}
	stdin.Close()
	if h.stopAt != "" && !h.slowUpload {
		h.waitFor(func() bool { _, err := os.Stat(h.mark); return err == nil })
		kill()
	}
	err = c.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() < 0 {
			return remote.Result{}, fmt.Errorf("killed: %w", err)
		}
		return remote.Result{Stdout: []byte(stdout.String()), Stderr: []byte(stderr.String()), ExitCode: ee.ExitCode()}, nil
	}
	return remote.Result{Stdout: []byte(stdout.String()), Stderr: []byte(stderr.String())}, err
}

func (h *shellHost) waitFor(cond func() bool) {
	h.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("the script never reached %q", h.stopAt)
		}
	}
}

// tempSize is the size of the temporary file (-1 when there is none).
func (h *shellHost) tempSize() int64 {
	for _, e := range h.temps() {
		if fi, err := os.Stat(e); err == nil {
			return fi.Size()
		}
	}
	return -1
}

// temps lists the temporary files next to the target.
func (h *shellHost) temps() []string {
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(h.path(h.conf.Path)), ".clusterctl-*.tmp"))
	return m
}

// write runs WriteFile over the real shell, /var/lib/t/keepalived.conf
// (the default target) holding old, if not "".
func (h *shellHost) write(old string) error {
	h.t.Helper()
	target := h.path("/var/lib/t/keepalived.conf")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if old != "" {
		if err := os.WriteFile(target, []byte(old), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
	f := remote.NewFake("h")
	f.HandleDefault(h.run)
	return New(f).WriteFile(context.Background(), h.conf, "20260101T000000Z")
}

func (h *shellHost) backup() string {
	return h.path(resource.BackupDir + h.conf.Path + ".20260101T000000Z")
}

// commands are the external commands the last run ran, in order.
func (h *shellHost) commands() []string {
	b, _ := os.ReadFile(h.log)
	return strings.Fields(string(b))
}

func TestWriteFileRealShell(t *testing.T) {
	h := newShellHost(t)
	if err := h.write("old\n"); err != nil {
		t.Fatal(err)
	}
	target := h.path(h.conf.Path)
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != string(h.conf.Content) || fi.Mode().Perm() != 0o640 {
		t.Errorf("target: %d bytes, mode %v", len(got), fi.Mode())
	}
	if b, err := os.ReadFile(h.backup()); err != nil || string(b) != "old\n" {
		t.Errorf("backup = %q, %v", b, err)
	}
	if tmp := h.temps(); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	want := "mkdir cat chown chmod keepalived mkdir cp sync mv"
	if got := strings.Join(h.commands(), " "); got != want {
		t.Errorf("commands = %s, want %s", got, want)
	}

	// A new file: no backup, a directory created.
	h2 := newShellHost(t)
	h2.conf.Path = "/var/lib/t/new/dir/keepalived.conf"
	if err := h2.write(""); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(h2.path(h2.conf.Path)); string(got) != string(h2.conf.Content) {
		t.Errorf("new file holds %d bytes", len(got))
	}
	if _, err := os.Stat(h2.backup()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backup of a file that did not exist: %v", err)
	}
}

// TestWriteFileKilled kills the command's whole process group before and
// after each external command it runs, and half-way through the upload:
// the target is always the old file or the complete new one with its
// final mode (and then the old one is backed up), never a part; a
// temporary file left behind is private (0600) or already has the final
// mode.
func TestWriteFileKilled(t *testing.T) {
	clean := newShellHost(t)
	if err := clean.write("old\n"); err != nil {
		t.Fatal(err)
	}
	n := len(clean.commands())
	points := []string{"upload half-way"}
	for i := 1; i <= n; i++ {
		points = append(points, fmt.Sprintf("before %d", i), fmt.Sprintf("after %d", i))
	}
	outcomes := map[string]int{}
	for _, point := range points {
		t.Run(strings.ReplaceAll(point, " ", "-"), func(t *testing.T) {
			h := newShellHost(t)
			if point == "upload half-way" {
				h.slowUpload = true
			} else {
				h.stopAt = point
			}
			err := h.write("old\n")
			if err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("err = %v, want the kill", err)
			}
			if errors.Is(err, ErrValidation) {
				t.Errorf("a kill reported as a rejection: %v", err)
			}
			target := h.path(h.conf.Path)
			got, rerr := os.ReadFile(target)
			fi, serr := os.Stat(target)
			if rerr != nil || serr != nil {
				t.Fatalf("target: %v %v", rerr, serr)
			}
			switch string(got) {
			case "old\n":
				outcomes["old"]++
			case string(h.conf.Content):
				outcomes["new"]++
				if fi.Mode().Perm() != 0o640 {
					t.Errorf("new content with mode %v", fi.Mode())
				}
				if b, err := os.ReadFile(h.backup()); err != nil || string(b) != "old\n" {
					t.Errorf("new content but backup = %q, %v", b, err)
				}
			default:
				t.Errorf("target holds %d bytes, neither old nor new", len(got))
			}
			for _, tmp := range h.temps() {
				if fi, err := os.Stat(tmp); err == nil && fi.Mode().Perm() != 0o600 && fi.Mode().Perm() != 0o640 {
					t.Errorf("temporary %s has mode %v", tmp, fi.Mode())
				}
			}
		})
	}
	t.Logf("%d kill points: %v", len(points), outcomes)
	if outcomes["old"] == 0 || outcomes["new"] == 0 {
		t.Errorf("outcomes %v: the kill points should cover both sides of the rename", outcomes)
	}
}

// TestWriteFileStagesFail makes each stage fail for real and checks the
// error names it, the target is the old file and no temporary is left.
func TestWriteFileStagesFail(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *shellHost)
		want  string
	}{
		{"upload", func(h *shellHost) {
			// The target's directory cannot be created: a file is there.
			h.conf.Path = "/var/lib/t/keepalived.conf/sub/x.conf"
		}, "upload: command failed (exit 71): mkdir: "},
		{"owner", func(h *shellHost) { h.conf.Owner = "no-such-user-x" }, "set owner and mode: command failed (exit 72): chown: invalid user"},
		{"validate", func(h *shellHost) { h.rejects = true }, "rejected by validation on the host: keepalived -t -f (new keepalived.conf) exited 5; the old file and the running service are untouched:\n(Line 4) number '351' outside range [1, 255]"},
		{"backup", func(h *shellHost) {
			if err := os.WriteFile(filepath.Join(h.root, "clusterctl"), []byte("a file"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "back up the old file: command failed (exit 74): mkdir: "},
		{"rename", func(h *shellHost) {
			// The target is a mount point: rename(2) fails with EBUSY.
			h.preamble = "mount --bind /var/lib/t/keepalived.conf /var/lib/t/keepalived.conf && "
		}, "rename into place: command failed (exit 76): mv: cannot move"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newShellHost(t)
			tt.setup(h)
			old := "old\n"
			err := h.write(old)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant prefix %s", err, tt.want)
			}
			if (tt.name == "validate") != errors.Is(err, ErrValidation) {
				t.Errorf("ErrValidation = %v for %v", errors.Is(err, ErrValidation), err)
			}
			if old != "" {
				if got, _ := os.ReadFile(h.path("/var/lib/t/keepalived.conf")); string(got) != old {
					t.Errorf("target = %q", got)
				}
			}
			if tmp := h.temps(); len(tmp) != 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
		})
	}
}
