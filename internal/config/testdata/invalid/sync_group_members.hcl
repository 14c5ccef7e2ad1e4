# The instances of a sync group run on the same hosts.
host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24"]
  }
}

host "lb2" {
  interface "eth0" {
    addresses = ["192.168.50.12/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ips       = ["192.168.50.100/24"]
  member "lb1" { priority = 100 }
  member "lb2" { priority = 90 }
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ips       = ["192.168.50.101/24"]
  member "lb1" { priority = 100 }
}

vrrp_sync_group "VG_1" {
  instances = [vrrp_instance.VI_1, vrrp_instance.VI_2] # ERROR: Sync group instances with different members
}
