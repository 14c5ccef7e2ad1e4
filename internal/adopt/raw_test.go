package adopt

import (
	"strconv"
	"strings"
	"testing"
)

// TestImportRawLines: statements of global_defs, a vrrp_instance and a
// virtual_server, and a top-level block, that the model lacks but keepalived knows are imported into raw lines (an
// info finding, not a partial import), and the rendering is the same
// configuration as each host's; a misspelt keyword stays lost, and raw
// lines holding the password are left out and reported.
func TestImportRawLines(t *testing.T) {
	conf := func(prio int, extra string) string {
		return `global_defs {
  router_id R
  vrrp_garp_master_refresh 60
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ` + strconv.Itoa(prio) + `
  authentication {
    auth_type PASS
    auth_pass pw4vrrp
  }
  virtual_ipaddress {
    10.0.0.100
  }
  garp_master_refresh 10
  track_bfd {
    bfd_gw
  }
` + extra + `}
static_routes {
  10.9.0.0/16 via 10.0.0.254 dev eth0
}
virtual_server 10.0.0.100 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  quorum 1
  real_server 10.0.0.5 80 {
    weight 1
  }
}
`
	}
	hosts := []*Host{
		fileHost("a", "10.0.0.1/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(100, "")}),
		fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(90, "")}),
	}
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	wantRaw := `  raw               = <<-EOT
    garp_master_refresh 10
    track_bfd {
      bfd_gw
    }
  EOT
`
	if !strings.Contains(string(res.HCL), wantRaw) {
		t.Errorf("cluster.hcl lacks the raw lines:\n%s", res.HCL)
	}
	if !strings.Contains(string(res.HCL), "keepalived {\n  router_id  = \"R\"\n  raw        = <<-EOT\n    vrrp_garp_master_refresh 60\n  EOT\n  raw_blocks = <<-EOT\n    static_routes {\n      10.9.0.0/16 via 10.0.0.254 dev eth0\n    }\n  EOT\n}") {
		t.Errorf("cluster.hcl lacks global_defs' raw lines:\n%s", res.HCL)
	}
	if !strings.Contains(string(res.HCL), "  raw        = <<-EOT\n    quorum 1\n  EOT\n") {
		t.Errorf("cluster.hcl lacks the virtual server's raw lines:\n%s", res.HCL)
	}
	if Partial(res.Findings) {
		t.Errorf("import is partial: %v", res.Findings)
	}
	if len(res.Findings) != 10 || !strings.Contains(res.Findings[1].Msg, "garp_master_refresh has no counterpart in clusterctl's model: kept in raw") {
		t.Errorf("findings: %v", res.Findings)
	}
	// A director gets clusterctl's own files (modules to load): the
	// only difference Check may find.
	for _, f := range Check(writeResult(t, res), hosts, res.Values) {
		if f.Level != Change || !strings.Contains(f.Msg, "clusterctl's own file") {
			t.Errorf("check: %v", f)
		}
	}

	// A misspelt keyword is not raw: keepalived ignores it. Raw lines
	// with the password are left out.
	hosts[0].Files["/etc/keepalived/keepalived.conf"] = []byte(conf(100, "  garp_master_refesh 10\n  notify_deleted \"/usr/local/bin/deleted pw4vrrp\"\n"))
	hosts[1].Files["/etc/keepalived/keepalived.conf"] = []byte(conf(90, "  notify_deleted \"/usr/local/bin/deleted pw4vrrp\"\n"))
	if res, err = Build(hosts); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.HCL), "notify_deleted") || strings.Contains(string(res.HCL), "pw4vrrp") {
		t.Errorf("raw lines holding the password are in cluster.hcl:\n%s", res.HCL)
	}
	var lost []string
	for _, f := range res.Findings {
		if f.Level == Lost {
			lost = append(lost, f.String())
		}
	}
	want := []string{
		`not expressible a /etc/keepalived/keepalived.conf:20: unknown keyword "garp_master_refesh" in vrrp_instance VI_1 (did you mean "garp_master_refresh"?); keepalived ignores it, and so does the import`,
		`not expressible a /etc/keepalived/keepalived.conf:20: vrrp_instance VI_1: garp_master_refesh has no counterpart in clusterctl's model`,
		`not expressible a /etc/keepalived/keepalived.conf:5: vrrp_instance VI_1: lines the model lacks hold a password; raw lines are shown in plans, so they are not in the configuration`,
	}
	if strings.Join(lost, "\n") != strings.Join(want, "\n") {
		t.Errorf("lost findings:\n%s\nwant:\n%s", strings.Join(lost, "\n"), strings.Join(want, "\n"))
	}
}
