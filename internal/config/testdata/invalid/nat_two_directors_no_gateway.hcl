host "dir1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  interface "ens37" {
    addresses = ["192.168.47.101/24"]
  }
}

host "dir2" {
  interface "ens33" {
    addresses = ["192.168.19.111/24"]
  }
  interface "ens37" {
    addresses = ["192.168.47.111/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

vrrp_instance "VI_EXT" {
  interface         = "ens37"
  virtual_router_id = 60
  virtual_ips       = ["192.168.47.128"]
  member "dir1" {
    priority = 100
  }
  member "dir2" {
    priority = 90
  }
}

virtual_server "web" {
  address   = "192.168.47.128:80"
  mode      = "nat"
  directors = [host.dir1, host.dir2]
  real_server "rs1" { # ERROR: NAT real server needs a shared gateway
    port = 80
  }
}
