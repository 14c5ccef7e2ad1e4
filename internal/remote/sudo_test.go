package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/clusterctl/clusterctl/internal/remote/sshtest"
)

// fakeSudo stands in for sudo on the test server (which has no sudo):
// `sudo -n sh -c X` runs `sh -c X`, except for the user "nopass", whom
// sudo refuses as it does without NOPASSWD.
func fakeSudo(ctx context.Context, e *sshtest.Exec) int {
	rest, ok := strings.CutPrefix(e.Command, "sudo -n ")
	if !ok {
		return sshtest.RunShell(ctx, e)
	}
	if e.User == "nopass" {
		io.WriteString(e.Stderr, "sudo: a password is required\n")
		return 1
	}
	inner := *e
	inner.Command = rest
	return sshtest.RunShell(ctx, &inner)
}

func TestSudo(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{Exec: fakeSudo})
	env.trust(t, srv)
	target := targetFor(srv)
	target.User, target.Sudo = "deploy", true
	c := dialT(t, target, env.options())

	res := runT(t, c, Cmd{Command: `echo "it's $((1+1))"`, Sudo: true})
	if string(res.Stdout) != "it's 2\n" {
		t.Errorf("sudo run stdout %q", res.Stdout)
	}
	res = runT(t, c, Cmd{Command: "exit 7", Sudo: true})
	if res.ExitCode != 7 {
		t.Errorf("exit code %d, want 7", res.ExitCode)
	}
	runT(t, c, Cmd{Command: "echo unprivileged"})

	dir := t.TempDir()
	fileOps(t, c, dir)
	if s := srv.Subsystems(); len(s) != 0 {
		t.Errorf("sudo target used SFTP: %q", s)
	}

	// The exact commands sent, with the temporary directory replaced.
	var log strings.Builder
	for _, e := range srv.Execs() {
		fmt.Fprintf(&log, "%s: %s\n", e.User, strings.ReplaceAll(e.Command, dir, "$DIR"))
	}
	golden.Check(t, "sudo_commands.golden", log.String())
}

func TestSudoPasswordRequired(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{Exec: fakeSudo})
	env.trust(t, srv)
	target := targetFor(srv)
	target.User, target.Sudo = "nopass", true
	c := dialT(t, target, env.options())
	ctx := context.Background()

	_, err := c.Run(ctx, Cmd{Command: "systemctl reload keepalived", Sudo: true})
	if !errors.Is(err, ErrSudoPassword) {
		t.Fatalf("Run: got %v, want ErrSudoPassword", err)
	}
	wantErrContains(t, err, "node1", "NOPASSWD")
	_, err = c.ReadFile(ctx, filepath.Join(t.TempDir(), "x"))
	if !errors.Is(err, ErrSudoPassword) {
		t.Errorf("ReadFile: got %v, want ErrSudoPassword", err)
	}
	// Without Sudo the command runs as the login user.
	if res := runT(t, c, Cmd{Command: "echo ok"}); string(res.Stdout) != "ok\n" {
		t.Errorf("unprivileged run: %q", res.Stdout)
	}
}

func TestSudoPasswordError(t *testing.T) {
	tests := []struct {
		name string
		res  Result
		want bool
	}{
		{"password", Result{ExitCode: 1, Stderr: []byte("sudo: a password is required\n")}, true},
		{"requiretty", Result{ExitCode: 1, Stderr: []byte("sudo: sorry, you must have a tty to run sudo\nsudo: a terminal is required to read the password\n")}, true},
		{"command failed", Result{ExitCode: 1, Stderr: []byte("grep: a password is required\n")}, false},
		{"other exit", Result{ExitCode: 2, Stderr: []byte("sudo: a password is required\n")}, false},
		{"success", Result{}, false},
	}
	for _, tt := range tests {
		err := sudoPasswordError("rs1", tt.res)
		if got := errors.Is(err, ErrSudoPassword); got != tt.want {
			t.Errorf("%s: got %v, want ErrSudoPassword %v", tt.name, err, tt.want)
		}
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		out  string
		mode string
		size int64
		ok   bool
	}{
		{"81a4 12 1700000000\n", "-rw-r--r--", 12, true},
		{"41ed 4096 1700000000\n", "drwxr-xr-x", 4096, true},
		{"a1ff 7 1700000000\n", "Lrwxrwxrwx", 7, true},
		{"89ed 1 1\n", "urwxr-xr-x", 1, true},
		{"garbage\n", "", 0, false},
		{"zz 1 1\n", "", 0, false},
	}
	for _, tt := range tests {
		fi, err := parseStat("/x/y", []byte(tt.out))
		if (err == nil) != tt.ok {
			t.Errorf("parseStat(%q) error %v", tt.out, err)
			continue
		}
		if tt.ok && (fi.Mode().String() != tt.mode || fi.Size() != tt.size || fi.Name() != "y" || fi.ModTime().Unix() == 0) {
			t.Errorf("parseStat(%q) = %v %d %s", tt.out, fi.Mode(), fi.Size(), fi.Name())
		}
	}
}
