// Package e2e runs the clusterctl binary against local lab machines made of
// network namespaces with real OpenSSH sshd, keepalived and nginx. The
// binary runs inside the lab's operator namespace, so no packet leaves the
// lab. Enabled with CLUSTERCTL_LAB_TESTS=1 as root (make test does that).
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/secret"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/lab"
	"github.com/clusterctl/clusterctl/internal/lab/labtest"
)

// binary is the clusterctl built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clusterctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "clusterctl")
	build := exec.Command("go", "build", "-o", binary, "../cmd/clusterctl")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build clusterctl:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cluster is a lab built from an example configuration.
type cluster struct {
	t    *testing.T
	lab  *lab.Lab
	cfg  *config.Config
	path string
	// secrets must never appear in any output.
	secrets []string
}

func exampleDir(name string) string { return filepath.Join("..", "examples", "lab-19.x", name) }

// newCluster brings up a lab for the configuration at path; it is taken
// down, and checked to leave nothing behind, when the test ends.
func newCluster(t *testing.T, path string) *cluster {
	t.Helper()
	return newClusterWith(t, path, nil)
}

// newClusterWith is newCluster with machines of the given flavours (a
// machine not named is the host's own, Debian).
func newClusterWith(t *testing.T, path string, flavours map[string]lab.Flavour) *cluster {
	t.Helper()
	labtest.Require(t)
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.NewLoader().Load(abs, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", path, diags.Error())
	}
	name := labtest.UniqueName(t)
	stateDir := filepath.Join(t.TempDir(), "lab")
	spec := lab.Spec{Name: name, StateDir: stateDir}
	for _, hn := range cfg.HostNames() {
		m := lab.Machine{Name: hn, Flavour: flavours[hn]}
		for _, i := range cfg.Hosts[hn].Interfaces {
			m.Interfaces = append(m.Interfaces, lab.Interface{Name: i.Name, Addresses: i.Addresses})
		}
		spec.Machines = append(spec.Machines, m)
	}
	for _, v := range cfg.VRRPInstances {
		for _, p := range v.VirtualIPs {
			spec.Reserved = append(spec.Reserved, p.Addr())
		}
	}
	var log bytes.Buffer
	l, err := lab.Up(context.Background(), spec, &log)
	if err != nil {
		t.Fatalf("lab up: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		if err := l.Down(context.Background()); err != nil {
			t.Errorf("lab down: %v", err)
		}
		labtest.AssertNothingLeft(t, name, stateDir)
	})
	c := &cluster{t: t, lab: l, cfg: cfg, path: abs}
	c.secrets = append(c.secrets, cfg.SensitiveValues...)
	for _, v := range cfg.VRRPInstances {
		if v.AuthPass != "" {
			c.secrets = append(c.secrets, v.AuthPass)
		}
	}
	return c
}

// clusterctl runs the binary in the operator namespace with the lab's
// key and known_hosts, and returns stdout, stderr and the exit code. It
// fails the test if a secret appears in either stream.
func (c *cluster) clusterctl(args ...string) (string, string, int) {
	c.t.Helper()
	argv := append([]string{binary}, args...)
	argv = append(argv, "-i", c.lab.IdentityFile(), "--known-hosts", c.lab.KnownHosts(), "--ssh-config", "none", "--no-color")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := c.lab.OperatorCommand(ctx, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		c.t.Fatalf("clusterctl %v: %v", args, err)
	}
	for _, s := range c.secrets {
		if secret.Appears(stdout.String(), s) || secret.Appears(stderr.String(), s) {
			c.t.Errorf("clusterctl %v printed a secret", args)
		}
	}
	c.t.Logf("$ clusterctl %s → exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return stdout.String(), stderr.String(), code
}

// exec runs argv on a lab machine.
func (c *cluster) exec(machine string, argv ...string) (string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := c.lab.Exec(ctx, machine, argv, nil, &out, &out)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	case err != nil:
		c.t.Fatalf("exec %v on %s: %v", argv, machine, err)
	}
	return out.String(), 0
}

// holders returns the machines holding addr.
func (c *cluster) holders(addr string, machines ...string) []string {
	var out []string
	for _, m := range machines {
		s, _ := c.exec(m, "ip", "-o", "addr", "show")
		if strings.Contains(s, " "+addr+"/") {
			out = append(out, m)
		}
	}
	return out
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s: missing %q in:\n%s", what, sub, s)
		}
	}
}

// TestLabA reproduces the seed's keepalived HA lab on fresh machines:
// plan lists the changes, apply converges, a second plan is empty, a
// priority change is a one-line diff applied with a reload, a keepalived
// configuration the host rejects leaves the old one running, and the
// apply lock keeps a second apply out.
func TestLabA(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))

	out, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan on fresh machines: exit %d, want 2 (changes)", code)
	}
	mustContain(t, "fresh plan", out,
		"# web2 (backup director)", "# web1 (master director)",
		"+   file /etc/keepalived/keepalived.conf", "+   file /usr/local/sbin/check_ng.sh",
		"+   service keepalived", "+   service nginx", "auth_pass (sensitive)",
		"+   file /var/www/html/index.html", "Plan: 10 to add, 2 to change, 0 to destroy.")
	if i, j := strings.Index(out, "# web2"), strings.Index(out, "# web1"); i > j {
		t.Errorf("the BACKUP (web2) must come before the MASTER (web1) in the plan")
	}

	out, _, code = c.clusterctl("apply", c.path, "-auto-approve")
	if code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	mustContain(t, "apply", out, "Apply complete! Resources: 10 added, 2 changed, 0 destroyed.")
	if i, j := strings.Index(out, "web2: applying"), strings.Index(out, "web1: applying"); i < 0 || j < 0 || i > j {
		t.Errorf("apply order: web2 (BACKUP) must be applied before web1 (MASTER)")
	}
	if h := c.holders("192.168.19.100", "web1", "web2"); len(h) != 1 || h[0] != "web1" {
		t.Fatalf("VIP holders after apply = %v, want [web1]", h)
	}
	if s, _ := c.exec("web1", "stat", "-c", "%a %U", "/etc/keepalived/keepalived.conf"); strings.TrimSpace(s) != "640 root" {
		t.Errorf("keepalived.conf mode/owner = %q, want 640 root (it holds auth_pass)", s)
	}

	out, _, code = c.clusterctl("plan", c.path, "-detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0", code)
	}
	mustContain(t, "converged plan", out, "No changes.")

	// The seed's tests, automated: nginx restarted by the health check,
	// VIP to the backup when keepalived stops, back when it starts, and
	// the page through the VIP.
	out, _, code = c.clusterctl("verify", c.path)
	if code != 0 {
		t.Fatalf("verify: exit %d", code)
	}
	mustContain(t, "verify", out, "VIP 192.168.19.100 moved web1 → web2", "returned web2 → web1",
		"web1 192.168.19.101", "5 passed, 0 failed")
	out, _, code = c.clusterctl("status", c.path)
	if code != 0 {
		t.Fatalf("status: exit %d", code)
	}
	mustContain(t, "status", out, "192.168.19.100", "web1")

	// A priority change: one line of keepalived.conf and a reload.
	changed := filepath.Join(t.TempDir(), "prio")
	copyConfig(t, c.path, changed, "priority = 90", "priority = 95")
	out, _, code = c.clusterctl("plan", changed, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan after priority change: exit %d, want 2", code)
	}
	mustContain(t, "priority plan", out, "-    priority 90", "+    priority 95",
		"↻ service keepalived: reload", "Plan: 0 to add, 1 to change, 0 to destroy.")
	if n := strings.Count(out, "\n      -") + strings.Count(out, "\n      +"); n != 4 { // ---/+++ headers and the two lines
		t.Errorf("priority diff should change one line; diff lines = %d", n)
	}
	pid1, _ := c.exec("web2", "cat", "/run/keepalived.pid")
	out, _, code = c.clusterctl("apply", changed, "-auto-approve")
	if code != 0 {
		t.Fatalf("apply priority change: exit %d", code)
	}
	mustContain(t, "priority apply", out, "keepalived reloaded", "Resources: 0 added, 1 changed, 0 destroyed.")
	if pid2, _ := c.exec("web2", "cat", "/run/keepalived.pid"); pid1 != pid2 {
		t.Errorf("keepalived on web2 was restarted (pid %q → %q), want a reload", pid1, pid2)
	}
	if h := c.holders("192.168.19.100", "web1", "web2"); len(h) != 1 || h[0] != "web1" {
		t.Errorf("VIP holders after the priority change = %v, want [web1]", h)
	}

	// A configuration keepalived rejects on the host (an interface web2
	// does not have) fails the apply; the old file and keepalived stay.
	before, _ := c.exec("web2", "cat", "/etc/keepalived/keepalived.conf")
	broken := filepath.Join(t.TempDir(), "broken")
	copyConfig(t, changed, broken, `track_script      = [health_check.nginx]`, `track_script      = [health_check.nginx]
  track_interface   = ["ens99"]`)
	out, errOut, code := c.clusterctl("apply", broken, "-auto-approve")
	if code == 0 {
		t.Fatalf("apply of a configuration keepalived rejects succeeded")
	}
	mustContain(t, "rejected apply", out+errOut, "rejected by validation on the host", "keepalived -t", "not touched: web1")
	if after, _ := c.exec("web2", "cat", "/etc/keepalived/keepalived.conf"); after != before {
		t.Errorf("keepalived.conf on web2 changed although the new one was rejected")
	}
	if _, rc := c.exec("web2", "systemctl", "is-active", "keepalived"); rc != 0 {
		t.Errorf("keepalived on web2 is not running after the rejected apply")
	}
	if s, _ := c.exec("web2", "sh", "-c", "ls -a /etc/keepalived"); strings.Contains(s, ".tmp") {
		t.Errorf("temporary file left behind: %s", s)
	}

	// The lock: a held lock refuses apply and names the holder;
	// force-unlock clears it.
	c.exec("web1", "sh", "-c", "mkdir -p /run/lock && echo 'id=abc owner=alice@laptop pid=4242 started=2026-11-25T10:00:00Z' > /run/lock/clusterctl.lock")
	_, errOut, code = c.clusterctl("apply", changed, "-auto-approve")
	if code == 0 {
		t.Fatalf("apply succeeded while the cluster was locked")
	}
	mustContain(t, "locked apply", errOut, "locked by another apply", "owner=alice@laptop", "force-unlock")
	if _, rc := c.exec("web2", "test", "-e", "/run/lock/clusterctl.lock"); rc == 0 {
		t.Errorf("the refused apply left its own lock on web2")
	}
	out, _, code = c.clusterctl("force-unlock", changed, "-force")
	if code != 0 {
		t.Fatalf("force-unlock: exit %d", code)
	}
	mustContain(t, "force-unlock", out, "web1: removed lock (id=abc owner=alice@laptop")
	_, _, code = c.clusterctl("plan", changed, "-detailed-exitcode")
	if code != 0 {
		t.Errorf("plan after force-unlock: exit %d, want 0", code)
	}
}

// TestLabB runs the seed's LVS NAT lab as far as this kernel allows: the
// real servers are configured (routes via the director, pages, nginx);
// the director's IPVS step fails when the kernel has no IPVS, and then the
// test says so. Forwarding itself is proven in the VM lane.
func TestLabB(t *testing.T) {
	c := newCluster(t, exampleDir("lvs-nat"))
	out, _, code := c.clusterctl("plan", c.path)
	if code != 0 {
		t.Fatalf("plan: exit %d", code)
	}
	mustContain(t, "lab B plan", out,
		"# rs1 (real server)", "# dir (master director)",
		"~   sysctl net.ipv4.ip_forward: 0 → 1", "~   sysctl net.ipv4.conf.ens37.send_redirects: 1 → 0",
		"+   route default: default via 192.168.19.101 dev ens33",
		"+   iptables nat CLUSTERCTL-POSTROUTING", "-s 192.168.19.0/24 -j MASQUERADE",
		"+   ipvs -t 192.168.47.128:80: -A -t 192.168.47.128:80 -s wlc -p 3",
		"-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1",
		"-a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1")
	ipvs := true
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		if err := exec.Command("modprobe", "-n", "ip_vs").Run(); err != nil {
			ipvs = false
		}
	}
	out, errOut, code := c.clusterctl("apply", c.path, "-auto-approve")
	if !ipvs {
		t.Log("this kernel has no IPVS: lab B runs up to the director's IPVS step here; forwarding is proven in the VM lane")
		if code == 0 {
			t.Fatalf("apply succeeded on a kernel without IPVS")
		}
		mustContain(t, "lab B apply", out+errOut, "dir: kernel modules FAILED")
		for _, rs := range []string{"rs1", "rs2"} {
			if s, _ := c.exec(rs, "ip", "route", "show", "default"); !strings.Contains(s, "via 192.168.19.101") {
				t.Errorf("%s default route = %q, want via the director", rs, s)
			}
		}
		page, _ := c.exec("rs1", "curl", "-s", "-m", "3", "http://192.168.19.102/")
		if strings.TrimSpace(page) != "RS1------RS1" {
			t.Errorf("rs1 page = %q", page)
		}
		return
	}
	if code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
}

// copyConfig copies the configuration at src into dst, replacing old with
// new (which must occur).
func copyConfig(t *testing.T, src, dst, old, new string) {
	t.Helper()
	files, err := config.ConfigFiles(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.Contains(s, old) {
			found = true
			s = strings.Replace(s, old, new, 1)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("%q not found in %s", old, src)
	}
}
