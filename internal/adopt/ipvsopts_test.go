package adopt

import (
	"strings"
	"testing"
)

// TestImportSchedulerFlagsOpsTunnel: a keepalived virtual server's
// scheduler flags, one-packet scheduling and TUN encapsulation are
// adopted as attributes (before, the flags and ops were lost and the
// tunnel's type silently dropped); Check finds the rendering the same as
// the host's file. An encapsulation option the model lacks is lost.
func TestImportSchedulerFlagsOpsTunnel(t *testing.T) {
	conf := func(kind string) string {
		return `global_defs {
  router_id R
}
virtual_server 10.0.0.100 53 {
  lb_algo sh
  sh-port
  sh-fallback
  ops
  lb_kind ` + kind + `
  protocol UDP
  real_server 10.0.0.5 53 {
    weight 1
  }
}
virtual_server 10.0.0.100 80 {
  lb_algo rr
  lb_kind TUN type gue port 6080 csum
  protocol TCP
  real_server 10.0.0.6 80 {
    weight 1
  }
}
`
	}
	hosts := []*Host{fileHost("a", "10.0.0.1/24 10.0.0.100/32", map[string]string{"/etc/keepalived/keepalived.conf": conf("DR")})}
	res, err := Build(hosts)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  scheduler_flags = [\"sh-port\", \"sh-fallback\"]\n  one_packet      = true\n",
		"  tun_type     = \"gue\"\n  tun_port     = 6080\n  tun_checksum = \"csum\"\n",
	} {
		if !strings.Contains(string(res.HCL), want) {
			t.Errorf("cluster.hcl lacks\n%s\nin:\n%s", want, res.HCL)
		}
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings: %v", res.Findings)
	}
	// A director gets clusterctl's own files (modules to load): the
	// only difference Check may find.
	for _, f := range Check(writeResult(t, res), hosts, res.Values) {
		if f.Level != Change || !strings.Contains(f.Msg, "clusterctl's own file") {
			t.Errorf("check: %v", f)
		}
	}

	hosts[0].Files["/etc/keepalived/keepalived.conf"] = []byte(conf("TUN type gue port 6080 fast"))
	if res, err = Build(hosts); err != nil {
		t.Fatal(err)
	}
	lost := false
	for _, f := range res.Findings {
		lost = lost || f.Level == Lost && strings.Contains(f.Msg, `"fast" is not expressible`)
	}
	if !lost {
		t.Errorf("want the unknown tunnel option lost; findings: %v", res.Findings)
	}
}
