# keepalived 2.2.7: "(VI_1) cannot use a loopback interface (lo) for vrrp -
# ignoring", exit 5.
host "web1" {
  interface "lo" {
    addresses = ["10.9.0.1/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "lo" # ERROR: VRRP on the loopback interface
  virtual_router_id = 51
  virtual_ips       = ["10.9.0.100"]
  member "web1" {
    priority = 100
  }
}
