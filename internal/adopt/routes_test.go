package adopt

import (
	"strconv"
	"strings"
	"testing"
)

// TestImportRoutesRulesFIFO: an instance's virtual_routes and
// virtual_rules become virtual_route and virtual_rule blocks, global_defs'
// notify_fifo and notify_fifo_script attributes; Check finds the
// rendering the same configuration as each host's. A route with a keyword
// the model lacks is lost, by line.
func TestImportRoutesRulesFIFO(t *testing.T) {
	conf := func(prio int, extraRoute string) string {
		return `global_defs {
  router_id R
  notify_fifo /run/keepalived.fifo
  notify_fifo_script /usr/local/sbin/ka-fifo
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ` + strconv.Itoa(prio) + `
  virtual_ipaddress {
    10.0.0.100
  }
  virtual_routes {
    src 10.0.0.100 10.9.0.0/16 via 10.0.0.254 dev eth0 table 100 metric 5 scope global
    blackhole 10.8.0.0/16 no_track
` + extraRoute + `  }
  virtual_rules {
    from 10.9.0.0/16 priority 100 table 100
  }
}
`
	}
	hosts := []*Host{
		fileHost("a", "10.0.0.1/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(100, "")}),
		fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(90, "")}),
	}
	importClean(t, hosts, false,
		"  notify_fifo        = \"/run/keepalived.fifo\"\n  notify_fifo_script = \"/usr/local/sbin/ka-fifo\"\n",
		"  virtual_route {\n    to     = \"10.9.0.0/16\"\n    via    = \"10.0.0.254\"\n    dev    = \"eth0\"\n    src    = \"10.0.0.100\"\n    table  = 100\n    metric = 5\n    scope  = \"global\"\n  }\n",
		"  virtual_route {\n    to   = \"10.8.0.0/16\"\n    type = \"blackhole\"\n  }\n",
		"  virtual_rule {\n    from     = \"10.9.0.0/16\"\n    priority = 100\n    table    = 100\n  }\n",
	)

	for _, h := range hosts {
		h.Files["/etc/keepalived/keepalived.conf"] = []byte(conf(100, "    10.7.0.0/16 via 10.0.0.254 realms 5\n"))
	}
	_, lost := importLost(t, hosts, `virtual_routes "10.7.0.0/16 via 10.0.0.254 realms 5"`)
	n := 0
	for _, f := range lost {
		if strings.HasSuffix(f.Pos, ":16") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("want the realms route lost on both hosts at line 16; lost: %v", lost)
	}
}
