package adopt

import (
	"strconv"
	"strings"
	"testing"
)

// TestImportSharedBlocksDiffer: a block every host must agree on
// (vrrp_track_process here, and a vrrp_sync_group) written differently on
// two hosts is a conflict on the second, naming the first; the first's
// version is kept.
func TestImportSharedBlocksDiffer(t *testing.T) {
	conf := func(prio, weight int, second string) string {
		return `global_defs {
  router_id R
}
vrrp_track_process tp_nginx {
  process nginx
  weight ` + strconv.Itoa(weight) + `
}
vrrp_sync_group VG_1 {
  group {
    VI_1
    ` + second + `
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ` + strconv.Itoa(prio) + `
  virtual_ipaddress {
    10.0.0.100
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority ` + strconv.Itoa(prio) + `
  virtual_ipaddress {
    10.0.0.101
  }
}
`
	}
	hosts := []*Host{
		fileHost("a", "10.0.0.1/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(100, 10, "VI_2")}),
		fileHost("b", "10.0.0.2/24", map[string]string{"/etc/keepalived/keepalived.conf": conf(90, 20, "")}),
	}
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		if f.Level == Conflict {
			got = append(got, f.String())
		}
	}
	want := []string{
		`conflict        b /etc/keepalived/keepalived.conf:4: vrrp_track_process tp_nginx differs from a's (/etc/keepalived/keepalived.conf:4); the configuration keeps a's`,
		`conflict        b /etc/keepalived/keepalived.conf:8: vrrp_sync_group VG_1 differs from a's (/etc/keepalived/keepalived.conf:8); the configuration keeps a's`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("conflicts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(string(res.HCL), "  weight  = 10\n") {
		t.Errorf("a's track_process is not the one kept:\n%s", res.HCL)
	}
}
