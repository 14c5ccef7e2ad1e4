package e2e

import (
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
