host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  member "dir" {
    priority = 100
  }
}

virtual_server "web" {
  address    = "192.168.19.100:80"
  mode       = "dr"
  managed_by = "keepalived"
  directors  = [host.dir]

  real_server "rs1" {
    port = 80
    check {
      type = "" # ERROR: Invalid check type
    }
  }
}
