# keepalived.conf lines are text: no NUL or other control characters.
host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100/24"]
  raw               = "garp_master_refresh 10\u0000" # ERROR: Control character in raw lines
  member "dir" {
    priority = 100
  }
}

vrrp_instance "VI_2" {
  interface         = "ens33"
  virtual_router_id = 52
  virtual_ips       = ["192.168.19.200/24"]
  raw               = "garp_master_refresh\u001b[2J 10" # ERROR: Control character in raw lines
  member "dir" {
    priority = 100
  }
}
