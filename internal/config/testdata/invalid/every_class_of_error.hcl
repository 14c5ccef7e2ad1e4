# A decode error (a misspelt argument) and a validation error (a
# duplicate VRID) in other blocks are reported in the same run; the typo
# gives one error, not also "priority is required".
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
    prority = 100 # ERROR: Unsupported argument
  }
}

vrrp_instance "VI_2" {
  interface         = "ens33"
  virtual_router_id = 51 # ERROR: Duplicate virtual_router_id
  virtual_ips       = ["192.168.19.200"]
  member "web2" {
    priority = 100
  }
}
