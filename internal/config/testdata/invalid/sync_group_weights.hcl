# keepalived ignores the weights of a grouped instance's trackers unless
# the group has sync_group_tracking_weight (tracking_weight = true).
host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24"]
  }
}

track_file "maint" {
  file   = "/var/run/maint"
  weight = -50 # ERROR: Weighted tracking in a sync group
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ips       = ["192.168.50.100/24"]
  track_file        = [track_file.maint]
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
