host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "web2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  member "web1" {
    priority = 100
    state    = "MASTER"
  }
  member "web2" {
    priority = 90
    state    = "MASTER" # ERROR: Two MASTER members
  }
}
