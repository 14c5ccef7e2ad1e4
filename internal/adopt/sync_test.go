package adopt

import (
	"strconv"
	"strings"
	"testing"
)

// TestImportLVSSyncDaemon: a director pair's global lvs_sync_daemon line
// becomes the lvs_sync_daemon block of the instance it follows (not a raw
// line), with the options written; Check finds the rendering the same as
// each host's keepalived.conf. A host whose line differs is a conflict,
// one that names an instance it does not run is lost.
func TestImportLVSSyncDaemon(t *testing.T) {
	conf := func(prio int, sync string) string {
		return `global_defs {
  router_id R
  ` + sync + `
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ` + strconv.Itoa(prio) + `
  virtual_ipaddress {
    10.0.0.100
  }
}
`
	}
	const line = "lvs_sync_daemon eth1 VI_1 id 7 port 8849 group 224.0.0.82"
	hosts := []*Host{
		fileHost("a", "10.0.0.1/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(100, line)}),
		fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(90, line)}),
	}
	for i, h := range hosts {
		h.Addrs = append(h.Addrs, h.Addrs[0])
		h.Addrs[1].Dev = "eth1"
		h.Addrs[1].Prefix = mustPrefix("10.1.0." + strconv.Itoa(i+1) + "/24")
	}
	res := importClean(t, hosts, false, `  lvs_sync_daemon {
    interface = "eth1"
    sync_id   = 7
    port      = 8849
    group     = "224.0.0.82"
  }
`)
	if strings.Contains(string(res.HCL), "raw") {
		t.Errorf("lvs_sync_daemon went into raw lines:\n%s", res.HCL)
	}

	// b differs: a conflict naming b; c names an instance it lacks: lost.
	hosts[1] = fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(90, "lvs_sync_daemon eth0 VI_1")})
	hosts = append(hosts, fileHost("c", "10.0.0.3/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(80, "lvs_sync_daemon eth0 VI_9")}))
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	var conflict, lost bool
	for _, f := range res.Findings {
		conflict = conflict || f.Level == Conflict && f.Host == "b" && strings.Contains(f.Msg, "lvs_sync_daemon")
		lost = lost || f.Level == Lost && f.Host == "c" && strings.Contains(f.Msg, "VI_9")
	}
	if !conflict || !lost {
		t.Errorf("want a conflict on b and a loss on c; findings: %v", res.Findings)
	}
}
