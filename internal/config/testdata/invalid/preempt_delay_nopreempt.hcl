host "a" {
  interface "ens33" {
    addresses = ["192.168.19.11/24"]
  }
}
host "b" {
  interface "ens33" {
    addresses = ["192.168.19.12/24"]
  }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  preempt_delay     = 30 # ERROR: preempt_delay with nopreempt
  nopreempt         = true
  member "a" {
    priority = 100
  }
  member "b" {
    priority = 90
  }
}
