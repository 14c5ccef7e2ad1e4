# vrrp_strict: no authentication, no preempt_delay, no explicit MASTER,
# a link-local first IPv6 VIP (keepalived 2.2.7 -t rejects each).
keepalived {
  vrrp_strict = true
}

host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24", "fd00:50::11/64"]
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ips       = ["192.168.50.100/24"]
  auth_pass         = "secret1" # ERROR: auth_pass with vrrp_strict
  preempt_delay     = 10        # ERROR: preempt_delay with vrrp_strict
  member "lb1" {
    priority = 100
    state    = "MASTER" # ERROR: MASTER state with vrrp_strict
  }
}

vrrp_instance "VI_6" {
  interface         = "eth0"
  virtual_router_id = 52
  virtual_ips       = ["fd00:50::100/64"] # ERROR: First IPv6 VIP not link-local with vrrp_strict
  member "lb1" { priority = 100 }
}
