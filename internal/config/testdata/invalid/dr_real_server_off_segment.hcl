host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.20.102/24"]
  }
}

vrrp_instance "VI_DR" {
  interface         = "ens33"
  virtual_router_id = 52
  virtual_ips       = ["192.168.19.200"]
  member "dir" {
    priority = 100
  }
}

virtual_server "web" {
  address   = "192.168.19.200:80"
  mode      = "dr"
  directors = [host.dir]
  real_server "rs1" { # ERROR: DR real server off the director's segment
    port = 80
  }
}
