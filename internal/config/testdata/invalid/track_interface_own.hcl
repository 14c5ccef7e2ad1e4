# keepalived 2.2.7: "(VI_1) Ignoring track_interface ens33 since own interface",
# and keepalived -t exits 5.
host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  interface "ens37" {
    addresses = ["10.0.37.1/24"]
  }
}

host "web2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
  interface "ens37" {
    addresses = ["10.0.37.2/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  track_interface   = ["ens37", "ens33"] # ERROR: track_interface lists the instance's own interface
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
