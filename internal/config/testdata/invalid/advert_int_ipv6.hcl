# keepalived 2.2.7: "(VI_1) VRRPv3 advertisement interval 41.00s is out of
# range. Must be less than 40.95s. Setting to 40.95s", exit 5.
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
  virtual_ips       = ["fd00:19::100"]
  advert_int        = 41 # ERROR: advert_int too long for IPv6
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
