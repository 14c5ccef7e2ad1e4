package hostops

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

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
			[]string{"mkdir -p /run/lock && ( set -C; umask 077; printf '%s' 'id=x\n' > /run/lock/clusterctl.lock ) 2>/dev/null || { cat /run/lock/clusterctl.lock; exit 75; }"}},
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
