package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDay2RollbackAndDestroy runs rollback and destroy on real sshd,
// keepalived and nginx: an apply that moves the VIP is rolled back (the
// VIP returns, the first configuration matches again), one director is
// destroyed (the other keeps serving), then the rest, and a rollback
// brings the destroyed cluster back.
func TestDay2RollbackAndDestroy(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	const vip = "192.168.19.100"
	if out, errOut, code := c.clusterctl("apply", "-auto-approve", c.path); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	v2 := filepath.Join(t.TempDir(), "v2")
	copyConfig(t, c.path, v2, "priority = 90", "priority = 110")
	if out, errOut, code := c.clusterctl("apply", "-auto-approve", v2); code != 0 {
		t.Fatalf("apply v2: exit %d\n%s%s", code, out, errOut)
	}
	if got := c.holders(vip, "web1", "web2"); !slices.Equal(got, []string{"web2"}) {
		t.Fatalf("after v2 the VIP is on %v, want web2", got)
	}

	out, errOut, code := c.clusterctl("rollback", "-c", v2, "--all", "-auto-approve")
	if code != 0 {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "rollback", out, "rolls back to the files as they were before the apply of", "-    priority 110", "+    priority 90",
		"web1: keepalived running, each VIP held by one node", "Rollback complete!")
	if got := c.holders(vip, "web1", "web2"); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("after the rollback the VIP is on %v, want web1", got)
	}
	if out, _, code := c.clusterctl("plan", "-detailed-exitcode", c.path); code != 0 {
		t.Errorf("plan of the first configuration after the rollback: exit %d\n%s", code, out)
	}

	// One director: the other keeps the VIP; nothing of clusterctl's is
	// left on the destroyed one but its backups.
	out, errOut, code = c.clusterctl("destroy", "-target", "web2", "-auto-approve", c.path)
	if code != 0 {
		t.Fatalf("destroy -target web2: exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "destroy web2", out, "-   service keepalived: active, enabled → inactive, disabled", "-   file /etc/keepalived/keepalived.conf", "Destroy complete!")
	if got := c.holders(vip, "web1", "web2"); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("after destroying web2 the VIP is on %v, want web1", got)
	}
	if s, code := c.exec("web2", "sh", "-c", "systemctl is-active keepalived; ls /etc/keepalived/keepalived.conf /var/lib/clusterctl/manifest /usr/local/sbin/check_ng.sh"); code == 0 {
		t.Errorf("web2 after destroy:\n%s", s)
	}
	if s, code := c.exec("web2", "sh", "-c", "ls /var/lib/clusterctl/backup/etc/keepalived/"); code != 0 || s == "" {
		t.Errorf("web2 keeps no backup of its keepalived.conf: %s", s)
	}

	out, errOut, code = c.clusterctl("destroy", "-auto-approve", c.path)
	if code != 0 {
		t.Fatalf("destroy: exit %d\n%s%s", code, out, errOut)
	}
	if got := c.holders(vip, "web1", "web2"); len(got) != 0 {
		t.Errorf("after destroy the VIP is on %v", got)
	}
	if out, _, code := c.clusterctl("plan", "-detailed-exitcode", c.path); code != 2 {
		t.Errorf("plan after destroy: exit %d, want 2\n%s", code, out)
	}

	// The destroy was an apply with its own backups: rollback undoes it.
	if out, errOut, code := c.clusterctl("rollback", "-c", c.path, "--all", "-auto-approve"); code != 0 {
		t.Fatalf("rollback of the destroy: exit %d\n%s%s", code, out, errOut)
	}
	if got := c.holders(vip, "web1", "web2"); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("after rolling back the destroy the VIP is on %v, want web1", got)
	}
	if out, _, code := c.clusterctl("plan", "-detailed-exitcode", c.path); code != 0 {
		t.Errorf("plan after rolling back the destroy: exit %d\n%s", code, out)
	}
}

// TestDay2Failover moves lab A's VIP on purpose on real keepalived: to
// web2 by a priority raised in its keepalived.conf, kept by the next
// plan and apply, and given back with --release.
func TestDay2Failover(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	const vip = "192.168.19.100"
	if out, errOut, code := c.clusterctl("apply", "-auto-approve", c.path); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := c.clusterctl("failover", "-c", c.path, "VI_1", "--to", "web2", "-auto-approve")
	if code != 0 {
		t.Fatalf("failover: exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "failover", out, "+    priority 101", "web2: keepalived running, each VIP held by one node", "Failover complete!")
	if got := c.holders(vip, "web1", "web2"); !slices.Equal(got, []string{"web2"}) {
		t.Fatalf("after failover the VIP is on %v, want web2", got)
	}
	out, _, code = c.clusterctl("plan", "-detailed-exitcode", c.path)
	if code != 0 {
		t.Errorf("plan after failover: exit %d, want 0 (the failover is kept)", code)
	}
	mustContain(t, "plan after failover", out, "VI_1 is failed over to this host")
	if s, _ := c.exec("web2", "cat", "/var/lib/clusterctl/manifest"); !strings.Contains(s, "failover VI_1") {
		t.Errorf("web2's manifest lacks the mark:\n%s", s)
	}
	if out, errOut, code := c.clusterctl("failover", "-c", c.path, "VI_1", "--release", "-auto-approve"); code != 0 {
		t.Fatalf("failover --release: exit %d\n%s%s", code, out, errOut)
	}
	if got := c.holders(vip, "web1", "web2"); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("after --release the VIP is on %v, want web1", got)
	}
	if out, _, code := c.clusterctl("plan", "-detailed-exitcode", c.path); code != 0 || strings.Contains(out, "failed over") {
		t.Errorf("plan after --release: exit %d\n%s", code, out)
	}
}

// TestDay2DrainPreview plans a drain of a keepalived-managed table
// against real hosts over sshd (this kernel has no IPVS, so keepalived
// cannot run ha-lvs here: the VM lane is where the weight takes effect):
// both directors' keepalived.conf carry rs1 at weight 0, and a "no"
// leaves the hosts untouched.
func TestDay2DrainPreview(t *testing.T) {
	c := newCluster(t, exampleDir("ha-lvs"))
	out, errOut, code := c.clusterctl("drain", "-c", c.path, "rs1")
	if code != 1 {
		t.Fatalf("drain answered no: exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "drain preview", out, "# lb1", "# lb2", "Drain cancelled.")
	for _, host := range []string{"lb1", "lb2"} {
		i := strings.Index(out, "# "+host)
		j := strings.Index(out[i:], "real_server 192.168.19.102 80")
		if j < 0 || !strings.Contains(out[i+j:i+j+200], "weight 0") {
			t.Errorf("%s: rs1 is not planned at weight 0", host)
		}
	}
	if strings.Contains(out, "# rs1") || strings.Contains(out, "# rs2") {
		t.Errorf("a drain plans only the directors:\n%s", out)
	}
	if s, code := c.exec("lb1", "ls", "/etc/keepalived/keepalived.conf"); code == 0 {
		t.Errorf("a cancelled drain wrote keepalived.conf: %s", s)
	}
}
