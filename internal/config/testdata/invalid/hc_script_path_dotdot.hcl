host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

health_check "nginx" {
  process     = "nginx"
  script_path = "/usr/local/sbin/../../etc/cron.daily/x" # ERROR: Invalid path
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  track_script      = [health_check.nginx]
  member "web1" {
    priority = 100
  }
}
