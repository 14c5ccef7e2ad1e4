package adopt

import "testing"

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
	importClean(t, hosts, true,
		"  scheduler_flags = [\"sh-port\", \"sh-fallback\"]\n  one_packet      = true\n",
		"  tun_type     = \"gue\"\n  tun_port     = 6080\n  tun_checksum = \"csum\"\n")

	hosts[0].Files["/etc/keepalived/keepalived.conf"] = []byte(conf("TUN type gue port 6080 fast"))
	if _, lost := importLost(t, hosts, `"fast" is not expressible`); len(lost) == 0 {
		t.Errorf("want the unknown tunnel option lost")
	}
}
