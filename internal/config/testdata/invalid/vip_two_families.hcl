# keepalived 2.2.7: "(VI_1): address family must match VRRP instance
# [fd00:19::100/128] - ignoring", and keepalived -t exits 5.
host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24", "fd00:19::101/64"]
  }
}

host "web2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24", "fd00:19::102/64"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips = [
    "192.168.19.100",
    "fd00:19::100", # ERROR: Virtual IPs of two address families
  ]
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
