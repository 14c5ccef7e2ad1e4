package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// put writes content to path on a lab machine with mode.
func (c *cluster) put(machine, path string, content []byte, mode string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	script := "mkdir -p \"$(dirname \"$1\")\" && cat > \"$1\" && chmod " + mode + " \"$1\""
	if err := c.lab.Exec(ctx, machine, []string{"sh", "-c", script, "put", path}, bytes.NewReader(content), &out, &out); err != nil {
		c.t.Fatalf("write %s on %s: %v\n%s", path, machine, err, out.String())
	}
}

// waitHolders waits until exactly want holds addr.
func (c *cluster) waitHolders(addr, want string, machines ...string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h := c.holders(addr, machines...)
		if len(h) == 1 && h[0] == want {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("VIP %s holders = %v, want [%s]", addr, h, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// seedFile reads a file of the seed's lab A as the adopt tests keep it
// (the keepalived.conf and check_ng.sh of the notes, byte for byte).
func seedFile(t *testing.T, host, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "adopt", "testdata", "lab-a", host, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportLabA adopts the seed's lab A built by hand — each host's
// keepalived.conf and check_ng.sh from the notes written directly on the
// machines, keepalived and nginx started with systemctl, no clusterctl
// involved — with `import` over SSH; `plan` right after says "No
// changes"; a priority changed in the imported HCL is applied (the file
// is then rewritten in clusterctl's layout) and verify passes.
func TestImportLabA(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	for _, h := range []string{"web1", "web2"} {
		c.put(h, "/etc/keepalived/keepalived.conf", seedFile(t, h, "/etc/keepalived/keepalived.conf"), "644")
		c.put(h, "/usr/local/sbin/check_ng.sh", seedFile(t, h, "/usr/local/sbin/check_ng.sh"), "755")
		// The notes only start the services; an operator whose cluster
		// survives a reboot has them enabled too (without, import says
		// the first plan enables them: TestImportFromDir).
		if out, rc := c.exec(h, "sh", "-c", "systemctl enable keepalived nginx && systemctl start nginx && systemctl start keepalived"); rc != 0 {
			t.Fatalf("start services on %s: %s", h, out)
		}
	}
	c.waitHolders("192.168.19.100", "web1", "web1", "web2")

	adopted := filepath.Join(t.TempDir(), "adopted")
	out, _, code := c.clusterctl("import", "web1=root@192.168.19.101", "web2=root@192.168.19.102", "-o", adopted)
	if code != 0 {
		t.Fatalf("import: exit %d", code)
	}
	mustContain(t, "import", out, "Imported 2 hosts: web1, web2.", "-var vrrp_password=", "14 characters long", "Wrote ")
	if strings.Contains(out, "not expressible") || strings.Contains(out, "conflict") || strings.Contains(out, "change ") {
		t.Errorf("import of lab A reports a loss:\n%s", out)
	}
	hcl, err := os.ReadFile(filepath.Join(adopted, "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster.hcl:\n%s", hcl)
	mustContain(t, "cluster.hcl", string(hcl), `auth_pass         = var.vrrp_password`, `config_mode             = "0644"`,
		`member "web1" {`, "priority = 100", `content = file("files/web2/usr/local/sbin/check_ng.sh")`)
	if out, err := exec.Command(binary, "fmt", "-check", adopted).CombinedOutput(); err != nil {
		t.Errorf("the import is not formatted as clusterctl fmt writes it: %v\n%s", err, out)
	}

	out, _, code = c.clusterctl("plan", adopted, "-var", "vrrp_password=aminglin", "-detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan right after import: exit %d, want 0", code)
	}
	mustContain(t, "plan after import", out, "No changes.", "same keepalived configuration")

	// A priority change in the imported HCL: applied, then converged.
	conf := filepath.Join(adopted, "cluster.hcl")
	if err := os.WriteFile(conf, bytes.Replace(hcl, []byte("priority = 90"), []byte("priority = 95"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = c.clusterctl("plan", adopted, "-var", "vrrp_password=aminglin", "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan after the priority change: exit %d, want 2", code)
	}
	mustContain(t, "priority plan", out, "+    priority 95", "Plan: 0 to add, 1 to change, 0 to destroy.")
	_, _, code = c.clusterctl("apply", adopted, "-var", "vrrp_password=aminglin", "-auto-approve")
	if code != 0 {
		t.Fatalf("apply of the priority change: exit %d", code)
	}
	c.waitHolders("192.168.19.100", "web1", "web1", "web2")
	if _, _, code = c.clusterctl("plan", adopted, "-var", "vrrp_password=aminglin", "-detailed-exitcode"); code != 0 {
		t.Errorf("plan after apply: exit %d, want 0", code)
	}
	out, _, code = c.clusterctl("verify", adopted, "-var", "vrrp_password=aminglin")
	if code != 0 {
		t.Fatalf("verify: exit %d", code)
	}
	mustContain(t, "verify", out, "VIP 192.168.19.100 moved web1 → web2", "returned web2 → web1", "0 failed")
}

// TestImportLabB adopts the seed's lab B built by hand: lvs_nat.sh run
// on the director as the notes do (sysctls by echo, the MASQUERADE rule
// straight into POSTROUTING, ipvsadm), the real servers' default route
// via the director, nginx. The hand-set NAT rule and sysctls are listed
// as not expressible, so import is partial and writes nothing; with
// --allow-partial, plan right after says "No changes". On a kernel
// without IPVS, the notes' ipvsadm commands fail and the report says the
// IPVS table could not be read.
func TestImportLabB(t *testing.T) {
	c := newCluster(t, exampleDir("lvs-nat"))
	script, err := os.ReadFile(filepath.Join("testdata", "lvs_nat.sh"))
	if err != nil {
		t.Fatal(err)
	}
	c.put("dir", "/usr/local/sbin/lvs_nat.sh", script, "644")
	out, _ := c.exec("dir", "sh", "/usr/local/sbin/lvs_nat.sh")
	t.Logf("lvs_nat.sh: %s", out)
	for _, rs := range []string{"rs1", "rs2"} {
		if out, rc := c.exec(rs, "sh", "-c", "ip route replace default via 192.168.19.101 dev ens33 && systemctl enable nginx && systemctl start nginx"); rc != 0 {
			t.Fatalf("%s: %s", rs, out)
		}
	}
	ipvs := true
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		if err := exec.Command("modprobe", "-n", "ip_vs").Run(); err != nil {
			ipvs = false
		}
	}

	adopted := filepath.Join(t.TempDir(), "adopted")
	hosts := []string{"dir=root@192.168.19.101", "rs1=root@192.168.19.102", "rs2=root@192.168.19.103"}
	out, _, code := c.clusterctl(append([]string{"import", "-o", adopted}, hosts...)...)
	if code != 1 {
		t.Fatalf("import of lab B: exit %d, want 1 (partial)", code)
	}
	mustContain(t, "import report", out,
		`dir: nat rule "-A POSTROUTING -s 192.168.19.0/24 -j MASQUERADE" is not expressible`,
		"dir: sysctl net.ipv4.ip_forward = 1 was set by hand",
		"dir: sysctl net.ipv4.conf.ens37.send_redirects = 0 was set by hand",
		"Import is partial: nothing written.")
	if _, err := os.Stat(adopted); !os.IsNotExist(err) {
		t.Errorf("a partial import wrote %s", adopted)
	}
	if !ipvs {
		mustContain(t, "import report", out, "dir: the IPVS table was not read: ipvsadm-save -n exited")
	}
	out, _, code = c.clusterctl(append([]string{"import", "-o", adopted, "--allow-partial"}, hosts...)...)
	if code != 0 {
		t.Fatalf("import --allow-partial: exit %d", code)
	}
	if ipvs {
		// The live table is adopted; whatever the first plan still
		// changes is in the report, and that is all this kernel shows.
		mustContain(t, "import", out, "Wrote ")
		return
	}
	out, _, code = c.clusterctl("plan", adopted, "-detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan right after import: exit %d, want 0", code)
	}
	mustContain(t, "plan after import", out, "No changes.")
	if s, _ := c.exec("dir", "iptables", "-t", "nat", "-S", "POSTROUTING"); !strings.Contains(s, "-A POSTROUTING -s 192.168.19.0/24 -j MASQUERADE") {
		t.Errorf("the hand-written NAT rule is gone: %s", s)
	}
}
