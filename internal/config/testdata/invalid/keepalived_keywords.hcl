# keepalived's own keywords get a pointer to clusterctl's attribute.
host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ipaddress = ["192.168.19.100"] # ERROR: Unsupported argument
  advert_interval   = 1 # ERROR: Unsupported argument
  member "web1" {
    priority = 100
  }
}
