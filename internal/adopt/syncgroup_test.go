package adopt

import (
	"strconv"
	"strings"
	"testing"
)

// TestImportSyncGroup: a vrrp_sync_group becomes a vrrp_sync_group block
// referring to the adopted instances, with tracking_weight; Check finds
// the rendering the same configuration as each host's. A group naming an
// instance that was not adopted is lost, not written with a dangling
// reference.
func TestImportSyncGroup(t *testing.T) {
	conf := func(prio int, second string) string {
		inst := func(name string, vrid int, vip string) string {
			return `vrrp_instance ` + name + ` {
  interface eth0
  virtual_router_id ` + strconv.Itoa(vrid) + `
  priority ` + strconv.Itoa(prio) + `
  virtual_ipaddress {
    ` + vip + `
  }
}
`
		}
		return `global_defs {
  router_id R
}
vrrp_sync_group VG_1 {
  group {
    VI_1
    ` + second + `
  }
  sync_group_tracking_weight
}
` + inst("VI_1", 51, "10.0.0.100") + inst("VI_2", 52, "10.0.0.101")
	}
	hosts := []*Host{
		fileHost("a", "10.0.0.1/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(100, "VI_2")}),
		fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(90, "VI_2")}),
	}
	importClean(t, hosts, false, "vrrp_sync_group \"VG_1\" {\n  instances       = [vrrp_instance.VI_1, vrrp_instance.VI_2]\n  tracking_weight = true\n}\n")

	for i, h := range hosts {
		h.Files["/etc/keepalived/keepalived.conf"] = []byte(conf(100-10*i, "VI_9"))
	}
	res, lost := importLost(t, hosts, "vrrp_sync_group VG_1 names vrrp_instance VI_9")
	if len(lost) == 0 || strings.Contains(string(res.HCL), "vrrp_sync_group") {
		t.Errorf("want the group lost and not written; findings %v\n%s", res.Findings, res.HCL)
	}
}
