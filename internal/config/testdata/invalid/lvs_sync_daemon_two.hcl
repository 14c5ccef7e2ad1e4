# keepalived runs one IPVS sync daemon per host: two instances of one host
# may not both run it.
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
  lvs_sync_daemon {}
}

vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ips       = ["192.168.50.101/24"]
  member "lb1" { priority = 100 }
  lvs_sync_daemon { # ERROR: Two sync daemons on one host
  }
}
