# lvs_sync_daemon: options in keepalived's ranges, a multicast group, not
# on the loopback interface.
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
  lvs_sync_daemon {
    sync_id = 256 # ERROR: Value out of range
    ttl     = 0   # ERROR: Value out of range
    group   = "192.168.50.9" # ERROR: Sync group is not a multicast address
  }
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ips       = ["192.168.50.101/24"]
  member "lb1" { priority = 100 }
  lvs_sync_daemon {
    interface = "lo" # ERROR: Sync daemon on the loopback interface
  }
}
