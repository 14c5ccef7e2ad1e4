# VRRP version 3 has no authentication; version 2 is IPv4 only.
host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24", "fd00:50::11/64"]
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  version           = 3
  virtual_ips       = ["192.168.50.100/24"]
  auth_pass         = "secret1" # ERROR: auth_pass with VRRP version 3
  member "lb1" { priority = 100 }
}

vrrp_instance "VI_6" {
  interface         = "eth0"
  virtual_router_id = 52
  version           = 2 # ERROR: VRRP version 2 with IPv6
  virtual_ips       = ["fd00:50::100/64"]
  member "lb1" { priority = 100 }
}
