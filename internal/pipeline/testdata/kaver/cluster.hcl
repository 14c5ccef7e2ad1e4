# Two directors whose instance tracks a process: vrrp_track_process needs
# keepalived 2.0.11 (TestPlanKeepalivedTooOld).
host "lb1" {
  interface "eth0" {
    addresses = ["10.0.0.11/24"]
  }
}

host "lb2" {
  interface "eth0" {
    addresses = ["10.0.0.12/24"]
  }
}

track_process "haproxy" {
  process = "haproxy"
  weight  = -60
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  advert_int        = 1
  virtual_ips       = ["10.0.0.100"]
  track_process     = [track_process.haproxy]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}
