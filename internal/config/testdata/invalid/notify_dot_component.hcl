# "/usr/local/sbin/." is a directory: what you read must be the file that
# runs.
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
  virtual_ips       = ["192.168.19.100"]
  notify_master     = "/usr/local/sbin/." # ERROR: Invalid notify script
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
