# keepalived 2.2.7: "SECURITY VIOLATION - scripts are being executed but
# script_security not enabled.", keepalived -t exits 6.
keepalived {
  enable_script_security = false # ERROR: Scripts without script security
}

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

health_check "web" {
  process = "nginx"
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  track_script      = [health_check.web]
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
