# keepalived 2.2.7's keepalived -t kills itself (SIGTERM, exit 143) when it
# checks a script as a user other than root.
keepalived {
  script_user = "nobody" # ERROR: Scripts as a user other than root
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
