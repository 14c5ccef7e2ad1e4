package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRawLines (issue 15 item 5) runs raw keepalived lines through real
// keepalived on the lab's pair: a line keepalived rejects (an unknown
// keyword, which clusterctl only warns about) fails the apply at the
// first host's `keepalived -t`, with nothing changed on either host; a
// line keepalived accepts (in a vrrp_instance, in global_defs, and a
// whole block at the top level) is shown in the plan's diff, applied, and
// the next plan is empty.
func TestRawLines(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	dir := t.TempDir()
	withRaw := func(name, lines string) string {
		p := filepath.Join(dir, name)
		copyConfig(t, c.path, p, `track_script      = [health_check.nginx]`, `track_script      = [health_check.nginx]
  raw               = <<-EOT
`+lines+`
  EOT`)
		return p
	}
	// The accepted configuration has raw lines in global_defs and whole
	// raw blocks too.
	good := filepath.Join(dir, "good")
	copyConfig(t, withRaw("good-instance", "    garp_master_refresh 10"), good, `smtp_connect_timeout    = 30`, `smtp_connect_timeout    = 30
  raw                     = "vrrp_garp_master_refresh 60"
  raw_blocks              = <<-EOT
    garp_group {
      garp_interval 10
      interfaces {
        ens33
      }
    }
  EOT`)
	bad := withRaw("bad", "    garp_master_refresh 10\n    garp_master_refresh_sometimes 3")

	if _, _, code := c.clusterctl("apply", c.path, "-auto-approve"); code != 0 {
		t.Fatalf("first apply: exit %d", code)
	}

	// Rejected by keepalived -t on the first host it reaches: no host
	// changes, keepalived keeps running the old file.
	before := map[string]string{}
	for _, h := range []string{"web1", "web2"} {
		before[h], _ = c.exec(h, "cat", "/etc/keepalived/keepalived.conf")
	}
	out, errOut, code := c.clusterctl("apply", bad, "-auto-approve")
	if code == 0 {
		t.Fatalf("apply of a raw line keepalived rejects succeeded")
	}
	mustContain(t, "validate warnings", errOut, "Raw keepalived lines are not checked by clusterctl", `unknown keyword "garp_master_refresh_sometimes"`)
	// keepalived's own verdict, relayed from the host.
	mustContain(t, "rejected apply", out+errOut, "rejected by validation on the host", "keepalived -t", "Unknown keyword 'garp_master_refresh_sometimes'", "not touched: web1")
	for _, h := range []string{"web1", "web2"} {
		if after, _ := c.exec(h, "cat", "/etc/keepalived/keepalived.conf"); after != before[h] {
			t.Errorf("keepalived.conf on %s changed although keepalived -t rejected the new one", h)
		}
		if _, rc := c.exec(h, "systemctl", "is-active", "keepalived"); rc != 0 {
			t.Errorf("keepalived on %s is not running after the rejected apply", h)
		}
		if s, _ := c.exec(h, "sh", "-c", "ls -a /etc/keepalived"); strings.Contains(s, ".tmp") {
			t.Errorf("temporary file left behind on %s: %s", h, s)
		}
	}
	if h := c.holders("192.168.19.100", "web1", "web2"); len(h) != 1 || h[0] != "web1" {
		t.Errorf("VIP holders after the rejected apply = %v, want [web1]", h)
	}

	// Accepted: the plan shows the raw line in keepalived.conf's diff,
	// apply converges, the next plan is empty.
	out, errOut, code = c.clusterctl("plan", good, "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan with a raw line: exit %d, want 2 (changes)", code)
	}
	mustContain(t, "plan", out, "+    garp_master_refresh 10", "+    vrrp_garp_master_refresh 60", "+garp_group {", "+        ens33")
	mustContain(t, "plan warnings", errOut, "Raw keepalived lines are not checked by clusterctl")
	if _, _, code := c.clusterctl("apply", good, "-auto-approve"); code != 0 {
		t.Fatalf("apply with a raw line keepalived accepts: exit %d", code)
	}
	for _, h := range []string{"web1", "web2"} {
		conf, _ := c.exec(h, "cat", "/etc/keepalived/keepalived.conf")
		mustContain(t, h+" keepalived.conf", conf, "    garp_master_refresh 10\n}", "    vrrp_garp_master_refresh 60\n}", "\n\ngarp_group {\n    garp_interval 10\n    interfaces {\n        ens33\n    }\n}\n")
	}
	if _, _, code := c.clusterctl("plan", good, "-detailed-exitcode"); code != 0 {
		t.Errorf("plan after applying the raw line: exit %d, want 0 (no changes)", code)
	}
	if h := c.holders("192.168.19.100", "web1", "web2"); len(h) != 1 || h[0] != "web1" {
		t.Errorf("VIP holders after the raw line = %v, want [web1]", h)
	}
}

// TestRawImport adopts the seed's lab A built by hand with statements
// the model lacks in global_defs and in the vrrp_instance: import writes them
// as raw lines without reporting a loss, and plan right after says "No
// changes".
func TestRawImport(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	for _, h := range []string{"web1", "web2"} {
		conf := seedFile(t, h, "/etc/keepalived/keepalived.conf")
		conf = bytes.Replace(conf, []byte("   router_id LVS_DEVEL\n"), []byte("   router_id LVS_DEVEL\n   vrrp_garp_master_refresh 60\n"), 1)
		conf = bytes.Replace(conf, []byte("    advert_int 1\n"), []byte("    advert_int 1\n    garp_master_refresh 10\n    garp_master_refresh_repeat 2\n"), 1)
		if !bytes.Contains(conf, []byte("vrrp_garp_master_refresh 60")) || !bytes.Contains(conf, []byte("garp_master_refresh_repeat 2")) {
			t.Fatalf("the seed's keepalived.conf of %s changed: no place for the raw lines", h)
		}
		c.put(h, "/etc/keepalived/keepalived.conf", conf, "644")
		c.put(h, "/usr/local/sbin/check_ng.sh", seedFile(t, h, "/usr/local/sbin/check_ng.sh"), "755")
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
	mustContain(t, "import", out, "Imported 2 hosts: web1, web2.", "garp_master_refresh has no counterpart in clusterctl's model: kept in raw")
	if strings.Contains(out, "not expressible") || strings.Contains(out, "conflict") {
		t.Errorf("import reports a loss:\n%s", out)
	}
	hcl, err := os.ReadFile(filepath.Join(adopted, "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "cluster.hcl", string(hcl), "    vrrp_garp_master_refresh 60\n  EOT", "    garp_master_refresh 10\n    garp_master_refresh_repeat 2\n  EOT")

	out, errOut, code := c.clusterctl("plan", adopted, "-var", "vrrp_password=aminglin", "-detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan right after import: exit %d, want 0", code)
	}
	mustContain(t, "plan after import", out, "No changes.")
	mustContain(t, "plan warnings", errOut, "Raw keepalived lines are not checked by clusterctl")
}
