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

health_check "nginx" {
  process = "nginx"
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  track_script      = [health_check.nginx, health_check.ngnix] # ERROR: Reference to undeclared health check

  member "web1" {
    priority = 100
  }
}
