package remote

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterctl/clusterctl/internal/remote/sshtest"
)

// fileOps exercises the file half of a Conn in dir (a directory on this
// machine that the server sees too) the way apply uses it: write a
// temporary file, rename it over the target, read and stat it.
func fileOps(t *testing.T, c Conn, dir string) {
	t.Helper()
	ctx := context.Background()
	target := filepath.Join(dir, "keepalived.conf")
	tmp := target + ".tmp"
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	content := []byte("vrrp_instance VI_1 {\n  auth_pass 'it''s'\n}\n")

	if err := c.WriteFile(ctx, tmp, content, 0o600); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if fi, err := os.Stat(tmp); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("written file: %v, %v; want mode 0600", fi, err)
	}
	// Truncates on rewrite.
	if err := c.WriteFile(ctx, tmp, content[:10], 0o640); err != nil {
		t.Fatalf("WriteFile again: %v", err)
	}
	if err := c.WriteFile(ctx, tmp, content, 0o640); err != nil {
		t.Fatalf("WriteFile again: %v", err)
	}
	if err := c.Rename(ctx, tmp, target); err != nil {
		t.Fatalf("Rename over an existing file: %v", err)
	}
	got, err := c.ReadFile(ctx, target)
	if err != nil || string(got) != string(content) {
		t.Errorf("ReadFile = %q, %v; want %q", got, err, content)
	}
	fi, err := c.Stat(ctx, target)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if fi.Name() != "keepalived.conf" || fi.Size() != int64(len(content)) || fi.Mode() != 0o640 || fi.IsDir() {
		t.Errorf("Stat = %s %d %v dir=%v", fi.Name(), fi.Size(), fi.Mode(), fi.IsDir())
	}
	if fi, err := c.Stat(ctx, dir); err != nil || !fi.IsDir() {
		t.Errorf("Stat(dir) = %v, %v; want a directory", fi, err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}

	missing := filepath.Join(dir, "missing")
	if _, err := c.ReadFile(ctx, missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := c.Stat(ctx, missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(missing) = %v, want fs.ErrNotExist", err)
	}
	if err := c.Rename(ctx, missing, target); err == nil {
		t.Error("Rename(missing) gave no error")
	}
	if err := c.WriteFile(ctx, filepath.Join(missing, "x"), nil, 0o644); err == nil {
		t.Error("WriteFile into a missing directory gave no error")
	}
}

func TestFilesOverSFTP(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{})
	env.trust(t, srv)
	c := dialT(t, targetFor(srv), env.options())
	runT(t, c, Cmd{Command: "true"})
	if s := srv.Subsystems(); len(s) != 0 {
		t.Fatalf("SFTP opened before the first file operation: %q", s)
	}
	fileOps(t, c, t.TempDir())
	if s := srv.Subsystems(); len(s) != 1 || s[0] != "sftp" {
		t.Errorf("subsystems = %q, want one sftp session for all operations", s)
	}
	if len(srv.Execs()) != 1 {
		t.Errorf("file operations ran commands: %+v", srv.Execs())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ReadFile(ctx, "/etc/hostname"); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadFile with a cancelled ctx = %v, want Canceled", err)
	}
}
