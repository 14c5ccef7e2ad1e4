package remote

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"
)

func TestFake(t *testing.T) {
	ctx := context.Background()
	f := NewFake("rs1")
	f.SetFile("/etc/hostname", []byte("rs1\n"), 0o644)
	f.Handle("systemctl ", func(cmd Cmd) (Result, error) {
		return Result{Stdout: []byte("active\n")}, nil
	})
	f.Handle("systemctl is-active nginx", func(cmd Cmd) (Result, error) {
		return Result{Stdout: []byte("inactive\n"), ExitCode: 3}, nil
	})
	f.Handle("mv ", func(cmd Cmd) (Result, error) {
		fields := strings.Fields(cmd.Command)
		return Result{}, f.Rename(ctx, fields[1], fields[2])
	})

	if c := Conn(f); c.Host() != "rs1" {
		t.Errorf("Host() = %q", c.Host())
	}
	res, err := f.Run(ctx, Cmd{Command: "systemctl is-active keepalived", Sudo: true})
	if err != nil || string(res.Stdout) != "active\n" {
		t.Errorf("run = %q, %v", res.Stdout, err)
	}
	res, err = f.Run(ctx, Cmd{Command: "systemctl is-active nginx"})
	if err != nil || res.ExitCode != 3 {
		t.Errorf("longest prefix: run = %+v, %v", res, err)
	}
	if _, err := f.Run(ctx, Cmd{Command: "reboot"}); err == nil || !strings.Contains(err.Error(), `no handler for command "reboot"`) {
		t.Errorf("unhandled command: %v", err)
	}
	if err := f.WriteFile(ctx, "/etc/keepalived/keepalived.conf.tmp", []byte("conf\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Run(ctx, Cmd{Command: "mv /etc/keepalived/keepalived.conf.tmp /etc/keepalived/keepalived.conf", Stdin: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if ff, ok := f.File("/etc/keepalived/keepalived.conf"); !ok || string(ff.Data) != "conf\n" || ff.Mode != 0o600 {
		t.Errorf("file after handler rename: %+v %v", ff, ok)
	}
	if got, err := f.ReadFile(ctx, "/etc/hostname"); err != nil || string(got) != "rs1\n" {
		t.Errorf("ReadFile = %q, %v", got, err)
	}
	if _, err := f.ReadFile(ctx, "/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v", err)
	}
	if fi, err := f.Stat(ctx, "/etc/hostname"); err != nil || fi.Size() != 4 || fi.Mode() != 0o644 || fi.Name() != "hostname" {
		t.Errorf("Stat = %v, %v", fi, err)
	}
	if _, err := f.Stat(ctx, "/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(missing) = %v", err)
	}
	if err := f.Rename(ctx, "/nope", "/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename(missing) = %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Run(ctx, Cmd{Command: "systemctl start x"}); err == nil {
		t.Error("Run after Close gave no error")
	}

	if got, want := strings.Join(f.Paths(), " "), "/etc/hostname /etc/keepalived/keepalived.conf"; got != want {
		t.Errorf("Paths() = %q, want %q", got, want)
	}
	if got := len(f.Commands()); got != 5 {
		t.Errorf("%d commands logged, want 5", got)
	}
	golden.Check(t, "fake_transcript.golden", f.Transcript())
}

func TestFakeFaults(t *testing.T) {
	ctx := context.Background()
	errDrop := errors.New("connection lost")
	f := NewFake("dir")
	f.HandleDefault(func(Cmd) (Result, error) { return Result{}, nil })
	f.FailNth(2, errDrop)
	f.FailWhen(func(op Op) bool { return op.Kind == OpWrite && strings.HasSuffix(op.Path, ".conf") }, fs.ErrPermission)

	if _, err := f.Run(ctx, Cmd{Command: "true"}); err != nil {
		t.Errorf("op 1: %v", err)
	}
	if _, err := f.Run(ctx, Cmd{Command: "true"}); !errors.Is(err, errDrop) {
		t.Errorf("op 2: got %v, want injected error", err)
	}
	if _, err := f.Run(ctx, Cmd{Command: "true"}); err != nil {
		t.Errorf("op 3: %v", err)
	}
	if err := f.WriteFile(ctx, "/etc/a.conf", []byte("x"), 0o644); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("write .conf: got %v, want injected error", err)
	}
	if _, ok := f.File("/etc/a.conf"); ok {
		t.Error("a failed write took effect")
	}
	if err := f.WriteFile(ctx, "/etc/a.txt", []byte("x"), 0o644); err != nil {
		t.Errorf("write .txt: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Run(cctx, Cmd{Command: "true"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: got %v", err)
	}
	log := f.Log()
	if len(log) != 6 || log[1].Err == nil || log[3].Err == nil || log[0].Err != nil {
		t.Errorf("log does not record the outcomes:\n%s", f.Transcript())
	}
}
