package hostops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// fileHost is a remote.Fake that carries out the commands of WriteFile,
// RemoveFile and the lock on its files, as a shell would.
func fileHost(t *testing.T) *remote.Fake {
	t.Helper()
	f := remote.NewFake("h")
	backupRE := regexp.MustCompile(`^if \[ -e (\S+) \]; then mkdir -p \S+ && cp -p \S+ (\S+); fi && (.*)$`)
	f.HandleDefault(func(cmd remote.Cmd) (remote.Result, error) {
		c := cmd.Command
		if m := backupRE.FindStringSubmatch(c); m != nil {
			if old, ok := f.File(m[1]); ok {
				f.SetFile(m[2], old.Data, old.Mode)
			}
			c = m[3]
		}
		for _, part := range strings.Split(c, " && ") {
			w := strings.Fields(part)
			switch {
			case len(w) == 0:
			case w[0] == "mkdir", w[0] == "chown", w[0] == "{":
			case w[0] == "chmod":
				mode, _ := strconv.ParseUint(w[1], 8, 32)
				old, ok := f.File(w[2])
				if !ok {
					return remote.Result{ExitCode: 1, Stderr: []byte("chmod: no such file")}, nil
				}
				f.SetFile(w[2], old.Data, fs.FileMode(mode))
			case w[0] == "rm":
				for _, p := range w[2:] {
					f.RemoveFile(p)
				}
			case w[0] == "test", w[0] == "keepalived":
			default:
				t.Errorf("unexpected command %q", part)
			}
		}
		return remote.Result{}, nil
	})
	return f
}

var conf = resource.File{Path: "/etc/keepalived/keepalived.conf", Content: []byte("new\n"), Mode: 0o640, Owner: "root", Group: "root", Validate: resource.ValidateKeepalived}

// TestWriteFileTranscript pins the commands of an atomic file write.
func TestWriteFileTranscript(t *testing.T) {
	f := fileHost(t)
	f.SetFile(conf.Path, []byte("old\n"), 0o640)
	if err := New(f).WriteFile(context.Background(), conf, "20260101T000000Z"); err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`\.[0-9a-f]{12}\.tmp`).ReplaceAllString(f.Transcript(), ".RANDOM.tmp")
	golden.Check(t, "writefile.transcript", got)
	if d, _ := f.File(conf.Path); string(d.Data) != "new\n" || d.Mode != 0o640 {
		t.Errorf("file = %q %v", d.Data, d.Mode)
	}
	if b, ok := f.File(resource.BackupDir + conf.Path + ".20260101T000000Z"); !ok || string(b.Data) != "old\n" {
		t.Errorf("backup = %q, %v", b.Data, ok)
	}
}

// TestWriteFileFaultEveryOperation fails each remote operation of a
// WriteFile in turn, as a dropped connection (that operation and every
// later one fail) and as a timeout (that operation alone), and checks
// that the target holds its old content or its complete new content with
// the final mode, and that a temporary file left behind is private (0600)
// or already has the final mode.
func TestWriteFileFaultEveryOperation(t *testing.T) {
	clean := fileHost(t)
	clean.SetFile(conf.Path, []byte("old\n"), 0o640)
	if err := New(clean).WriteFile(context.Background(), conf, "s"); err != nil {
		t.Fatal(err)
	}
	ops := len(clean.Log())
	for i := 1; i <= ops; i++ {
		for _, kind := range []string{"drop", "timeout"} {
			t.Run(fmt.Sprintf("op%d-%s", i, kind), func(t *testing.T) {
				f := fileHost(t)
				f.SetFile(conf.Path, []byte("old\n"), 0o640)
				fault := errors.New("injected")
				if kind == "drop" {
					n := 0
					f.FailWhen(func(remote.Op) bool { n++; return n >= i }, fault)
				} else {
					f.FailNth(i, fault)
				}
				err := New(f).WriteFile(context.Background(), conf, "s")
				if !errors.Is(err, fault) {
					t.Fatalf("err = %v, want the injected fault", err)
				}
				d, _ := f.File(conf.Path)
				switch string(d.Data) {
				case "old\n":
				case "new\n":
					if d.Mode != 0o640 {
						t.Errorf("new content with mode %v", d.Mode)
					}
				default:
					t.Errorf("target holds %q", d.Data)
				}
				for _, p := range f.Paths() {
					if strings.HasSuffix(p, ".tmp") {
						if m, _ := f.File(p); m.Mode != 0o600 && m.Mode != 0o640 {
							t.Errorf("temporary %s has mode %v", p, m.Mode)
						}
					}
				}
			})
		}
	}
}

func TestWriteFileRejected(t *testing.T) {
	f := fileHost(t)
	f.SetFile(conf.Path, []byte("old\n"), 0o640)
	msg := "(/etc/keepalived/.clusterctl-keepalived.conf.tmp: Line 4) number '351' outside range [1, 255]"
	f.Handle("test -s ", func(remote.Cmd) (remote.Result, error) {
		return remote.Result{ExitCode: 5, Stderr: []byte(msg + "\n")}, nil
	})
	err := New(f).WriteFile(context.Background(), conf, "s")
	if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "exited 5") {
		t.Fatalf("err = %v", err)
	}
	if d, _ := f.File(conf.Path); string(d.Data) != "old\n" {
		t.Errorf("the rejected file replaced the old one: %q", d.Data)
	}
	for _, p := range f.Paths() {
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary left: %s", p)
		}
	}
}

// TestCommands pins the command each operation sends.
func TestCommands(t *testing.T) {
	key := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddrPort("192.168.47.128:80")}
	dest := ipvs.Destination{Addr: netip.MustParseAddrPort("192.168.19.102:80"), Forward: ipvs.Masq, Weight: 1}
	tests := []struct {
		name string
		do   func(s *Shell) error
		want []string
	}{
		{"apt", func(s *Shell) error {
			return s.InstallPackages(context.Background(), APT, []string{"keepalived", "ipvsadm"})
		},
			[]string{"DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends keepalived ipvsadm || { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends keepalived ipvsadm; }"}},
		{"dnf", func(s *Shell) error { return s.InstallPackages(context.Background(), DNF, []string{"keepalived"}) },
			[]string{"dnf install -y keepalived"}},
		{"modules", func(s *Shell) error { return s.LoadModules(context.Background(), []string{"ip_vs", "ip_vs_wlc"}) },
			[]string{"modprobe -a ip_vs ip_vs_wlc"}},
		{"sysctls", func(s *Shell) error {
			return s.SetSysctls(context.Background(), []resource.Sysctl{{Key: "net.ipv4.ip_forward", Value: "1"}, {Key: "net.ipv4.vs.conntrack", Value: "1"}})
		}, []string{"sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.vs.conntrack=1"}},
		{"tunnel address", func(s *Shell) error {
			return s.AddAddress(context.Background(), resource.Address{Dev: "tunl0", Prefix: netip.MustParsePrefix("192.168.19.100/32")})
		}, []string{"ip link set tunl0 up && ip addr replace 192.168.19.100/32 dev tunl0"}},
		{"default route", func(s *Shell) error {
			return s.ReplaceRoute(context.Background(), resource.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("192.168.19.101"), Dev: "ens33"})
		}, []string{"ip route replace default via 192.168.19.101 dev ens33"}},
		{"nat", func(s *Shell) error {
			return s.RestoreNATChain(context.Background(), resource.NATChain, []string{"-s 192.168.19.0/24 -j MASQUERADE"})
		}, []string{"iptables-restore --noflush", "iptables -t nat -C POSTROUTING -j CLUSTERCTL-POSTROUTING 2>/dev/null || iptables -t nat -I POSTROUTING 1 -j CLUSTERCTL-POSTROUTING"}},
		{"ipvs", func(s *Shell) error {
			return s.ApplyIPVS(context.Background(), []ipvs.Edit{{Op: ipvs.AddService, Service: ipvs.Service{Key: key, Scheduler: "wlc"}}, {Op: ipvs.AddDest, Service: ipvs.Service{Key: key}, Dest: dest}})
		}, []string{"ipvsadm -A -t 192.168.47.128:80 -s wlc", "ipvsadm -a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1"}},
		{"systemctl", func(s *Shell) error { return s.Systemctl(context.Background(), Reload, "keepalived") },
			[]string{"systemctl reload keepalived && { systemctl is-active --quiet keepalived || { echo 'keepalived is not active after systemctl reload' >&2; exit 1; }; }"}},
		{"enable", func(s *Shell) error { return s.Systemctl(context.Background(), Enable, "nginx") },
			[]string{"systemctl enable nginx"}},
		{"lock", func(s *Shell) error { return s.Lock(context.Background(), "id=x\n") },
			[]string{"mkdir -p /run/lock && ( set -C; umask 077; cat > /run/lock/clusterctl.lock ) 2>/dev/null || { cat /run/lock/clusterctl.lock; exit 75; }"}},
		{"manifest removed, kept first", func(s *Shell) error { return s.WriteManifest(context.Background(), nil, "20261201T080000Z") },
			[]string{"mkdir -p /var/lib/clusterctl/backup/var/lib/clusterctl && { if [ -e /var/lib/clusterctl/manifest ]; then cp -p /var/lib/clusterctl/manifest /var/lib/clusterctl/backup/var/lib/clusterctl/manifest.20261201T080000Z; else : > /var/lib/clusterctl/backup/var/lib/clusterctl/manifest.20261201T080000Z; fi; } && rm -f /var/lib/clusterctl/manifest"}},
		{"backups", func(s *Shell) error { _, err := s.Backups(context.Background()); return err },
			[]string{"if [ -d /var/lib/clusterctl/backup ]; then find /var/lib/clusterctl/backup -type f; fi"}},
		{"unlock", func(s *Shell) error { return s.Unlock(context.Background(), "abc") },
			[]string{"grep -q 'id=abc ' /run/lock/clusterctl.lock 2>/dev/null && rm -f /run/lock/clusterctl.lock; true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := remote.NewFake("h")
			f.HandleDefault(func(remote.Cmd) (remote.Result, error) { return remote.Result{}, nil })
			if err := tt.do(New(f)); err != nil {
				t.Fatal(err)
			}
			got := f.Commands()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, op := range f.Log() {
				if op.Kind == remote.OpRun && !op.Cmd.Sudo {
					t.Errorf("%q runs without privilege", op.Cmd.Command)
				}
			}
		})
	}
}

func TestCommandFailure(t *testing.T) {
	f := remote.NewFake("h")
	f.HandleDefault(func(remote.Cmd) (remote.Result, error) {
		return remote.Result{ExitCode: 1, Stderr: []byte("modprobe: FATAL: Module ip_vs not found\n")}, nil
	})
	err := New(f).LoadModules(context.Background(), []string{"ip_vs"})
	if !errors.Is(err, ErrCommandFailed) || err.Error() != "modprobe -a ip_vs: command failed (exit 1): modprobe: FATAL: Module ip_vs not found" {
		t.Errorf("err = %v", err)
	}
}

func TestLockHeld(t *testing.T) {
	f := remote.NewFake("h")
	f.HandleDefault(func(remote.Cmd) (remote.Result, error) {
		return remote.Result{ExitCode: lockHeldExit, Stdout: []byte("id=old owner=bob@ci pid=7 started=2024-01-01T00:00:00Z\n")}, nil
	})
	err := New(f).Lock(context.Background(), "id=new\n")
	if !errors.Is(err, ErrLockHeld) || !strings.Contains(err.Error(), "owner=bob@ci") || !strings.Contains(err.Error(), "force-unlock") {
		t.Errorf("err = %v", err)
	}
}

// TestSystemctlChecksOutcome runs Systemctl's commands in a real shell
// against a systemctl stub whose verbs may do nothing (as Debian's
// keepalived init script does for stop once keepalived.conf is gone).
func TestSystemctlChecksOutcome(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "active")
	stub := "#!/bin/sh\n" +
		"case \"$1\" in\n" +
		"start) [ -e " + dir + "/broken ] || : > " + state + " ;;\n" +
		"stop) [ -e " + dir + "/noop ] || rm -f " + state + " ;;\n" +
		"is-active) [ -e " + state + " ] ;;\n" +
		"esac\n"
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	f := remote.NewFake("h")
	f.HandleDefault(func(cmd remote.Cmd) (remote.Result, error) {
		c := exec.Command("/bin/sh", "-c", cmd.Command)
		c.Env = []string{"PATH=" + dir + ":/usr/bin:/bin"}
		var stderr strings.Builder
		c.Stderr = &stderr
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return remote.Result{ExitCode: ee.ExitCode(), Stderr: []byte(stderr.String())}, nil
		}
		return remote.Result{}, err
	})
	s := New(f)
	ctx := context.Background()
	if err := s.Systemctl(ctx, Start, "keepalived"); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "noop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Systemctl(ctx, Stop, "keepalived"); !errors.Is(err, ErrCommandFailed) || !strings.Contains(err.Error(), "keepalived is still active after systemctl stop") {
		t.Errorf("stop that did nothing: %v", err)
	}
	os.Remove(filepath.Join(dir, "noop"))
	if err := s.Systemctl(ctx, Stop, "keepalived"); err != nil {
		t.Errorf("stop: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Systemctl(ctx, Start, "keepalived"); !errors.Is(err, ErrCommandFailed) || !strings.Contains(err.Error(), "keepalived is not active after systemctl start") {
		t.Errorf("start that did nothing: %v", err)
	}
}
