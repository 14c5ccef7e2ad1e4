# virtual_ip blocks name an address of the instance and set valid options.
host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ips       = ["192.168.50.100/24", "192.168.50.101/24"]
  excluded_ips      = ["fd00:50::100/64"]
  vmac_interface    = "vrrp.51" # ERROR: vmac_interface without use_vmac
  member "lb1" { priority = 100 }

  virtual_ip "192.168.50.100/24" {
    label = "eth1:vip" # ERROR: Invalid address label
    scope = "galaxy"   # ERROR: Invalid scope
  }
  virtual_ip "192.168.50.102" { # ERROR: virtual_ip not in virtual_ips
    dev = "eth0"
  }
  virtual_ip "fd00:50::100" {
    dev = "eth0"
  }
}
