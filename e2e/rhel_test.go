package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/lab"
)

// The lab A and lab B examples on RHEL-family lab machines (internal/lab
// flavours: EL's release files, rpm database, dnf or yum with the lab's
// repository, firewalld running; Debian's binaries) and on a cluster that
// mixes families.

// kernelHasIPVS reports whether LVS can forward in the lab on this host.
func kernelHasIPVS() bool {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		return true
	}
	return exec.Command("modprobe", "-n", "ip_vs").Run() == nil
}

// labAOn runs lab A (ha-nginx) with web1 and web2 of the given flavours:
// packages installed through the family's manager, converged, verified
// (failover both ways and the page through the VIP), a priority change
// applied as a reload.
func labAOn(t *testing.T, web1, web2 lab.Flavour) {
	c := newClusterWith(t, exampleDir("ha-nginx"), map[string]lab.Flavour{"web1": web1, "web2": web2})
	out, _, code := c.clusterctl("plan", c.path, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan on fresh machines: exit %d, want 2", code)
	}
	for _, m := range []struct {
		name string
		f    lab.Flavour
	}{{"web1", web1}, {"web2", web2}} {
		section := hostSection(out, m.name)
		if m.f.EL() {
			mustContain(t, m.name+" plan", section, "+   package keepalived: installed", "+   package nginx: installed",
				"+   file /usr/share/nginx/html/index.html")
		} else if strings.Contains(section, "package keepalived") {
			t.Errorf("%s (Debian, keepalived from the host) plans to install keepalived:\n%s", m.name, section)
		}
	}
	out, _, code = c.clusterctl("apply", c.path, "-auto-approve")
	if code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	mustContain(t, "apply", out, "Apply complete!")
	if h := c.holders("192.168.19.100", "web1", "web2"); len(h) != 1 || h[0] != "web1" {
		t.Fatalf("VIP holders after apply = %v, want [web1]", h)
	}
	for m, f := range map[string]lab.Flavour{"web1": web1, "web2": web2} {
		if !f.EL() {
			continue
		}
		el := map[lab.Flavour]string{lab.Rocky9: ".el9", lab.CentOS7: ".el7"}[f]
		s, _ := c.exec(m, "rpm", "-q", "keepalived", "nginx", "--qf", "%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n")
		mustContain(t, m+" rpm", s, "keepalived 2.2.7-1.lab"+el, "nginx 1:1.22.1-1.lab"+el)
		// EL's nginx serves /usr/share/nginx/html.
		if page, _ := c.exec(m, "curl", "-s", "-m", "3", "http://127.0.0.1/"); strings.TrimSpace(page) != m+" "+map[string]string{"web1": "192.168.19.101", "web2": "192.168.19.102"}[m] {
			t.Errorf("%s page = %q", m, page)
		}
	}
	out, _, code = c.clusterctl("plan", c.path, "-detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0\n%s", code, out)
	}
	out, _, code = c.clusterctl("verify", c.path)
	if code != 0 {
		t.Fatalf("verify: exit %d", code)
	}
	mustContain(t, "verify", out, "VIP 192.168.19.100 moved web1 → web2", "returned web2 → web1", "5 passed, 0 failed")

	changed := filepath.Join(t.TempDir(), "prio")
	copyConfig(t, c.path, changed, "priority = 90", "priority = 95")
	pid1, _ := c.exec("web2", "cat", "/run/keepalived.pid")
	out, _, code = c.clusterctl("apply", changed, "-auto-approve")
	if code != 0 {
		t.Fatalf("apply priority change: exit %d", code)
	}
	mustContain(t, "priority apply", out, "keepalived reloaded", "Resources: 0 added, 1 changed, 0 destroyed.")
	if pid2, _ := c.exec("web2", "cat", "/run/keepalived.pid"); pid1 != pid2 {
		t.Errorf("keepalived on web2 was restarted (pid %q → %q), want a reload", pid1, pid2)
	}
}

// hostSection is the part of a plan about one host.
func hostSection(plan, host string) string {
	i := strings.Index(plan, "# "+host+" (")
	if i < 0 {
		return ""
	}
	rest := plan[i+1:]
	if j := strings.Index(rest, "\n# "); j >= 0 {
		return rest[:j]
	}
	return rest
}

// TestLabARocky9: lab A on two Rocky 9 machines (dnf).
func TestLabARocky9(t *testing.T) { labAOn(t, lab.Rocky9, lab.Rocky9) }

// TestLabAMixed: lab A with a Debian master and a CentOS 7 backup (yum):
// one VRRP instance across families.
func TestLabAMixed(t *testing.T) { labAOn(t, "", lab.CentOS7) }

// labBOn runs lab B (lvs-nat) with the given flavours as far as the
// kernel allows (as TestLabB): real servers installed through their
// family's manager, routed via the director and serving their pages from
// EL's /usr/share/nginx/html; the director's ipvsadm installed; without
// IPVS the director's kernel-module step fails, with IPVS the apply
// converges.
func labBOn(t *testing.T, flavours map[string]lab.Flavour) {
	c := newClusterWith(t, exampleDir("lvs-nat"), flavours)
	out, _, code := c.clusterctl("plan", c.path)
	if code != 0 {
		t.Fatalf("plan: exit %d", code)
	}
	mustContain(t, "lab B plan", out, "+   iptables nat CLUSTERCTL-POSTROUTING", "+   route default: default via 192.168.19.101 dev ens33",
		"+   ipvs -t 192.168.47.128:80: -A -t 192.168.47.128:80 -s wlc -p 3")
	for _, rs := range []string{"rs1", "rs2"} {
		if flavours[rs].EL() {
			mustContain(t, rs+" plan", hostSection(out, rs), "+   package nginx: installed")
		}
	}
	if flavours["dir"].EL() {
		mustContain(t, "dir plan", hostSection(out, "dir"), "+   package ipvsadm: installed")
	}
	out, errOut, code := c.clusterctl("apply", c.path, "-auto-approve")
	if kernelHasIPVS() {
		if code != 0 {
			t.Fatalf("apply: exit %d", code)
		}
	} else {
		t.Log("this kernel has no IPVS: lab B runs up to the director's IPVS step here; forwarding is proven in the VM lane")
		if code == 0 {
			t.Fatalf("apply succeeded on a kernel without IPVS")
		}
		mustContain(t, "lab B apply", out+errOut, "dir: kernel modules FAILED")
	}
	pages := map[string]string{"rs1": "RS1------RS1", "rs2": "RS2------RS2"}
	addrs := map[string]string{"rs1": "192.168.19.102", "rs2": "192.168.19.103"}
	for _, rs := range []string{"rs1", "rs2"} {
		if s, _ := c.exec(rs, "ip", "route", "show", "default"); !strings.Contains(s, "via 192.168.19.101") {
			t.Errorf("%s default route = %q, want via the director", rs, s)
		}
		if page, _ := c.exec(rs, "curl", "-s", "-m", "3", "http://"+addrs[rs]+"/"); strings.TrimSpace(page) != pages[rs] {
			t.Errorf("%s page = %q", rs, page)
		}
		if flavours[rs].EL() {
			if s, rc := c.exec(rs, "rpm", "-q", "nginx"); rc != 0 {
				t.Errorf("%s: nginx not installed through its package manager: %s", rs, s)
			}
			if s, _ := c.exec(rs, "grep", "-c", "root *\\/usr\\/share\\/nginx\\/html", "/etc/nginx/nginx.conf"); strings.TrimSpace(s) != "1" {
				t.Errorf("%s: nginx.conf is not EL's (root /usr/share/nginx/html)", rs)
			}
		}
	}
	if flavours["dir"].EL() {
		if s, rc := c.exec("dir", "rpm", "-q", "ipvsadm"); rc != 0 {
			t.Errorf("dir: ipvsadm not installed: %s", s)
		}
	}
}

// TestLabBCentOS7: lab B on three CentOS 7 machines (yum).
func TestLabBCentOS7(t *testing.T) {
	labBOn(t, map[string]lab.Flavour{"dir": lab.CentOS7, "rs1": lab.CentOS7, "rs2": lab.CentOS7})
}

// TestLabBMixed: lab B with a Debian director and RHEL-family real
// servers (Rocky 9 and CentOS 7).
func TestLabBMixed(t *testing.T) {
	labBOn(t, map[string]lab.Flavour{"rs1": lab.Rocky9, "rs2": lab.CentOS7})
}

// TestLabAFirewalldPublic: lab A on Rocky 9 with firewalld's default zone
// (public, EL's default) instead of the lab's trusted one. clusterctl does
// not open the firewall yet: the plan notes that firewalld runs and what
// must be open; VRRP is dropped, both members take the VIP,
// the gate sees it and rolls back; with the two rules docs/apply.md gives
// (VRRP and port 80, permanent, reloaded) apply converges and verify
// passes.
func TestLabAFirewalldPublic(t *testing.T) {
	c := newClusterWith(t, exampleDir("ha-nginx"), map[string]lab.Flavour{"web1": lab.Rocky9, "web2": lab.Rocky9})
	for _, m := range []string{"web1", "web2"} {
		if out, rc := c.exec(m, "firewall-cmd", "--set-default-zone=public"); rc != 0 {
			t.Fatalf("%s: %s", m, out)
		}
	}
	out, _, _ := c.clusterctl("plan", c.path)
	mustContain(t, "plan behind firewalld", hostSection(out, "web1")+hostSection(out, "web2"),
		"note (web1): firewalld is running", "note (web2): firewalld is running", "VRRP (IP protocol 112)")
	out, errOut, code := c.clusterctl("apply", c.path, "-auto-approve")
	if code == 0 {
		t.Fatalf("apply converged although firewalld's public zone drops VRRP")
	}
	mustContain(t, "apply behind firewalld", out+errOut, "split brain: VIP 192.168.19.100 is held by web1 and web2", "the cluster is as before")
	for _, m := range []string{"web1", "web2"} {
		script := `firewall-cmd -q --permanent --add-rich-rule='rule protocol value="vrrp" accept' && firewall-cmd -q --permanent --add-port=80/tcp && firewall-cmd -q --reload && firewall-cmd --list-rich-rules`
		if out, rc := c.exec(m, "sh", "-c", script); rc != 0 || !strings.Contains(out, `rule protocol value="vrrp" accept`) {
			t.Fatalf("%s: open VRRP and port 80: rc %d\n%s", m, rc, out)
		}
	}
	if _, _, code := c.clusterctl("apply", c.path, "-auto-approve"); code != 0 {
		t.Fatalf("apply with VRRP and port 80 open: exit %d", code)
	}
	out, _, code = c.clusterctl("verify", c.path)
	if code != 0 {
		t.Fatalf("verify: exit %d", code)
	}
	mustContain(t, "verify", out, "5 passed, 0 failed")
}
