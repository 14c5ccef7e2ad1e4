# A sync group: existing instances, at least two, each in one group only.
host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ips       = ["192.168.50.100/24"]
  member "lb1" { priority = 100 }
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ips       = ["192.168.50.101/24"]
  member "lb1" { priority = 100 }
}

vrrp_sync_group "VG_1" {
  instances = [vrrp_instance.VI_1, vrrp_instance.VI_2]
}

vrrp_sync_group "VG_2" {
  instances = [vrrp_instance.VI_2, vrrp_instance.VI_1] # ERROR: Instance in two sync groups
}

vrrp_sync_group "VG_3" {
  instances = [vrrp_instance.VI_9] # ERROR: Sync group of fewer than two instances
}
