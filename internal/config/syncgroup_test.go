package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// A sync group, the new notify scripts, VIP options, excluded addresses
// and use_vmac decode into the model as written.
func TestSyncGroupAndVIPOptions(t *testing.T) {
	src := `
host "lb1" {
  interface "eth0" { addresses = ["192.168.50.11/24"] }
  interface "eth1" { addresses = ["10.0.50.11/24"] }
}
host "lb2" {
  interface "eth0" { addresses = ["192.168.50.12/24"] }
  interface "eth1" { addresses = ["10.0.50.12/24"] }
}
vrrp_instance "VI_EXT" {
  interface         = "eth0"
  virtual_router_id = 61
  virtual_ips       = ["192.168.50.100/24"]
  excluded_ips      = ["fd00:50::100/64"]
  notify            = "/usr/local/sbin/vrrp-notify"
  notify_stop       = "/usr/local/sbin/vrrp-notify stop"
  track_process     = [track_process.haproxy]
  track_file        = [track_file.maint]
  member "lb1" { priority = 150 }
  member "lb2" { priority = 100 }
  virtual_ip "192.168.50.100/24" {
    dev   = "eth0"
    scope = "global"
    label = "eth0:vip"
  }
}
vrrp_instance "VI_INT" {
  interface         = "eth1"
  virtual_router_id = 62
  virtual_ips       = ["10.0.50.1/24"]
  use_vmac          = true
  vmac_interface    = "vrrp.62"
  member "lb1" { priority = 150 }
  member "lb2" { priority = 100 }
}
track_process "haproxy" {
  process = "haproxy"
  weight  = -60
  quorum  = 2
  delay   = 3
}
track_file "maint" {
  file       = "/var/run/maint"
  weight     = -100
  init_value = 0
}
vrrp_sync_group "VG_LB" {
  instances       = [vrrp_instance.VI_EXT, vrrp_instance.VI_INT]
  tracking_weight = true
  notify_master = "/usr/local/sbin/vrrp-notify group master"
}
`
	p := filepath.Join(t.TempDir(), "c.hcl")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := mustLoad(t, p, LoadOptions{})
	g := cfg.SyncGroups["VG_LB"]
	if g == nil || !cmp.Equal(g.Instances, []string{"VI_EXT", "VI_INT"}) || g.NotifyMaster != "/usr/local/sbin/vrrp-notify group master" {
		t.Fatalf("sync group = %+v", g)
	}
	if cfg.SyncGroupOf("VI_INT") != g {
		t.Errorf("SyncGroupOf(VI_INT) is not VG_LB")
	}
	ext, in := cfg.VRRPInstances["VI_EXT"], cfg.VRRPInstances["VI_INT"]
	want := map[netip.Addr]VIPOption{netip.MustParseAddr("192.168.50.100"): {Dev: "eth0", Scope: "global", Label: "eth0:vip"}}
	if d := cmp.Diff(want, ext.VIPOptions, cmpopts.EquateComparable(netip.Addr{})); d != "" {
		t.Errorf("VIPOptions (-want +got):\n%s", d)
	}
	if len(ext.ExcludedIPs) != 1 || ext.ExcludedIPs[0] != netip.MustParsePrefix("fd00:50::100/64") || ext.Notify == "" || ext.NotifyStop == "" {
		t.Errorf("VI_EXT: excluded %v notify %q notify_stop %q", ext.ExcludedIPs, ext.Notify, ext.NotifyStop)
	}
	if !g.TrackingWeight || !cmp.Equal(ext.TrackProcesses, []string{"haproxy"}) || !cmp.Equal(ext.TrackFiles, []string{"maint"}) {
		t.Errorf("tracking: group weight %v, processes %v, files %v", g.TrackingWeight, ext.TrackProcesses, ext.TrackFiles)
	}
	if tp := cfg.TrackProcesses["haproxy"]; tp.Process != "haproxy" || tp.Weight != -60 || tp.Quorum != 2 || tp.Delay != 3 {
		t.Errorf("track_process = %+v", tp)
	}
	if tf := cfg.TrackFiles["maint"]; tf.File != "/var/run/maint" || tf.Weight != -100 || tf.InitValue == nil || *tf.InitValue != 0 {
		t.Errorf("track_file = %+v", tf)
	}
	if !in.UseVMAC || in.VMACInterface != "vrrp.62" {
		t.Errorf("VI_INT: use_vmac %v %q", in.UseVMAC, in.VMACInterface)
	}
}
