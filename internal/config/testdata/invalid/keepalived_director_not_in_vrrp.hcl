host "lb1" {
  interface "ens33" {
    addresses = ["192.168.19.11/24"]
  }
}

host "lb2" {
  interface "ens33" {
    addresses = ["192.168.19.12/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

vrrp_instance "VI_LVS" {
  interface         = "ens33"
  virtual_router_id = 54
  virtual_ips       = ["192.168.19.100/32"]
  member "lb1" {
    priority = 100
  }
}

virtual_server "web" {
  address    = "192.168.19.100:80"
  mode       = "dr"
  managed_by = "keepalived"
  directors  = [host.lb1, host.lb2] # ERROR: Director not in the VIP's VRRP instance
  real_server "rs1" {
    port = 80
  }
}
