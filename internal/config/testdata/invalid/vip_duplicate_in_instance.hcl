host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100", "192.168.19.100/32"] # ERROR: Duplicate VIP
  member "web1" {
    priority = 100
  }
}
