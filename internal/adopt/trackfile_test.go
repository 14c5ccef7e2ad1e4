package adopt

import (
	"strconv"
	"strings"
	"testing"
)

// TestImportInstanceTrackFile: an instance's track_process and track_file
// lists are adopted as references to the adopted vrrp_track_process and
// track_file blocks (both were lost before);
// Check finds the rendering the same configuration as each host's. A
// name with no adopted block is lost, not a dangling reference.
func TestImportInstanceTrackFile(t *testing.T) {
	conf := func(prio int, name string) string {
		return `global_defs {
  router_id R
}
vrrp_track_process tp_nginx {
  process nginx
  weight 10
  delay 2
}
vrrp_track_file tf_maint {
  file /var/run/maint
  weight 1
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ` + strconv.Itoa(prio) + `
  virtual_ipaddress {
    10.0.0.100
  }
  track_process {
    tp_nginx
  }
  track_file {
    ` + name + `
  }
}
`
	}
	hosts := []*Host{
		fileHost("a", "10.0.0.1/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(100, "tf_maint")}),
		fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(90, "tf_maint")}),
	}
	importClean(t, hosts, false,
		"  track_process     = [track_process.nginx]\n  track_file        = [track_file.maint]\n",
		"track_process \"nginx\" {\n  process = \"nginx\"\n  weight  = 10\n  delay   = 2\n}\n")

	for i, h := range hosts {
		h.Files["/etc/keepalived/keepalived.conf"] = []byte(conf(100-10*i, "tf_other"))
	}
	res, lost := importLost(t, hosts, "track_file other names no adopted track_file block")
	if len(lost) == 0 || strings.Contains(string(res.HCL), "track_file.other") {
		t.Errorf("want the reference lost and not written; findings %v\n%s", res.Findings, res.HCL)
	}
}
