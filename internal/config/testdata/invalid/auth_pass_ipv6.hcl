# An IPv6 instance runs VRRP version 3. keepalived 2.2.7: "(VI_1) VRRP
# version 3 does not support authentication. Ignoring.", exit 5.
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
  auth_pass         = "s3cret" # ERROR: auth_pass on an IPv6 instance
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
