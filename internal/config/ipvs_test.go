package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// The ipvs block and the IPVS options of a virtual server decode into
// the model as written, normalised (flags in flag order, "nocsum" as "").
func TestIPVSOptions(t *testing.T) {
	src := `
host "dir" {
  interface "ens33" { addresses = ["192.168.19.101/24"] }
}
ipvs {
  timeout_tcp    = 7200
  timeout_udp    = 60
  sysctls = {
    expire_nodest_conn        = 1
    expire_quiescent_template = 1
    sloppy_tcp                = 1
    conn_reuse_mode           = 0
  }
}
virtual_server "sip" {
  address            = "192.168.19.100:5060"
  protocol           = "udp"
  mode               = "tun"
  scheduler          = "sh"
  scheduler_flags    = ["sh-port", "sh-fallback"]
  one_packet         = true
  persistence        = 120
  persistence_engine = "sip"
  tun_type           = "gue"
  tun_port           = 6080
  tun_checksum       = "nocsum"
  directors          = [host.dir]
  real_server "192.168.19.102" {}
}
virtual_server "web" {
  address   = "192.168.19.100:80"
  mode      = "tun"
  directors = [host.dir]
  real_server "192.168.19.102" {}
}
`
	p := filepath.Join(t.TempDir(), "c.hcl")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := mustLoad(t, p, LoadOptions{})
	got := cfg.IPVS
	got.DeclRange, got.Ranges, got.SysctlRanges = hcl.Range{}, nil, nil
	want := IPVS{TimeoutTCP: 7200, TimeoutUDP: 60, Sysctls: map[string]int{
		"expire_nodest_conn": 1, "expire_quiescent_template": 1, "sloppy_tcp": 1, "conn_reuse_mode": 0,
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ipvs block (-want +got):\n%s", d)
	}
	if r := cfg.IPVS.SysctlRanges["sloppy_tcp"]; r.Start.Line != 11 {
		t.Errorf("sloppy_tcp written at line %d, want 11", r.Start.Line)
	}
	vs := cfg.VirtualServers["sip"]
	type opts struct {
		Flags            []string
		OnePacket        bool
		PE, TunType, Sum string
		TunPort          uint16
	}
	if d := cmp.Diff(opts{[]string{"sh-fallback", "sh-port"}, true, "sip", "gue", "", 6080},
		opts{vs.SchedulerFlags, vs.OnePacket, vs.PersistenceEngine, vs.TunType, vs.TunChecksum, vs.TunPort}); d != "" {
		t.Errorf("virtual_server sip (-want +got):\n%s", d)
	}
	if w := cfg.VirtualServers["web"]; w.TunType != "" || len(w.SchedulerFlags) != 0 {
		t.Errorf("virtual_server web: tun_type %q, flags %v; want the defaults", w.TunType, w.SchedulerFlags)
	}
}
