package hostops

import (
	"context"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// InstallPackages implements Host. With apt a failed install is retried
// once after `apt-get update` (a fresh host's package lists may be
// missing or stale).
func (s *Shell) InstallPackages(ctx context.Context, manager PackageManager, names []string) error {
	pkgs := shell.Join(names...)
	var cmd string
	switch manager {
	case APT:
		install := "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " + pkgs
		cmd = install + " || { DEBIAN_FRONTEND=noninteractive apt-get update -q && " + install + "; }"
	case DNF, YUM:
		cmd = string(manager) + " install -y " + pkgs
	default:
		return fmt.Errorf("cannot install %s: no supported package manager (apt, dnf, yum) found", strings.Join(names, ", "))
	}
	_, err := s.sh(ctx, nil, cmd)
	return err
}

// LoadModules implements Host.
func (s *Shell) LoadModules(ctx context.Context, names []string) error {
	_, err := s.run(ctx, append([]string{"modprobe", "-a"}, names...)...)
	return err
}

// SetSysctls implements Host: one sysctl -w for all of them.
func (s *Shell) SetSysctls(ctx context.Context, sysctls []resource.Sysctl) error {
	argv := []string{"sysctl", "-q", "-w"}
	for _, sc := range sysctls {
		argv = append(argv, sc.Key+"="+sc.Value)
	}
	_, err := s.run(ctx, argv...)
	return err
}

// tunnelDev is the IPIP tunnel device; it is down until brought up.
const tunnelDev = "tunl0"

// AddAddress implements Host.
func (s *Shell) AddAddress(ctx context.Context, a resource.Address) error {
	cmd := shell.Join("ip", "addr", "replace", a.Prefix.String(), "dev", a.Dev)
	if a.Dev == tunnelDev {
		cmd = "ip link set tunl0 up && " + cmd
	}
	_, err := s.sh(ctx, nil, cmd)
	return err
}

// DeleteAddress implements Host.
func (s *Shell) DeleteAddress(ctx context.Context, a resource.Address) error {
	_, err := s.run(ctx, "ip", "addr", "del", a.Prefix.String(), "dev", a.Dev)
	return err
}

// ReplaceRoute implements Host.
func (s *Shell) ReplaceRoute(ctx context.Context, r resource.Route) error {
	dst := r.Dst.String()
	if r.Dst.Bits() == 0 {
		dst = "default"
	}
	argv := []string{"ip", "route", "replace", dst}
	if r.Via.IsValid() {
		argv = append(argv, "via", r.Via.String())
	}
	if r.Dev != "" {
		argv = append(argv, "dev", r.Dev)
	}
	_, err := s.run(ctx, argv...)
	return err
}

// Systemctl implements Host in one command that also checks the outcome:
// after start, restart or reload the unit must be active, after stop it
// must not be (a SysV init script whose configuration file is gone stops
// nothing and exits 0; so does a start that systemd skips for a failed
// condition).
func (s *Shell) Systemctl(ctx context.Context, action ServiceAction, unit string) error {
	cmd := shell.Join("systemctl", string(action), unit)
	u := shell.Quote(unit)
	switch action {
	case Start, Restart, Reload:
		cmd += " && { systemctl is-active --quiet " + u + " || { echo " + shell.Quote(unit+" is not active after systemctl "+string(action)) + " >&2; exit 1; }; }"
	case Stop:
		cmd += " && { ! systemctl is-active --quiet " + u + " || { echo " + shell.Quote(unit+" is still active after systemctl stop") + " >&2; exit 1; }; }"
	}
	_, err := s.sh(ctx, nil, cmd)
	return err
}

// DaemonReload implements Host.
func (s *Shell) DaemonReload(ctx context.Context) error {
	_, err := s.run(ctx, "systemctl", "daemon-reload")
	return err
}
