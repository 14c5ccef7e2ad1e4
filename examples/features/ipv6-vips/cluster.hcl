# An HA pair with IPv4 and IPv6 virtual addresses. A VRRP instance is
# single-family, so each family has its own instance (the IPv6 one runs
# VRRP version 3, which has no authentication); a sync group keeps both
# on the same node. keepalived also balances an IPv6 service in DR mode.

variable "vrrp_password" {
  type      = string
  sensitive = true
  default   = "dU2k9r4t"
}

defaults {
  user = "root"
}

keepalived {
  router_id = "DUAL_STACK"
}

host "lb1" {
  interface "eth0" {
    addresses = ["192.168.62.11/24", "fd00:62::11/64"]
  }
}

host "lb2" {
  interface "eth0" {
    addresses = ["192.168.62.12/24", "fd00:62::12/64"]
  }
}

vrrp_instance "VI_4" {
  interface         = "eth0"
  virtual_router_id = 62
  auth_pass         = var.vrrp_password
  virtual_ips       = ["192.168.62.100/32"]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}

vrrp_instance "VI_6" {
  interface         = "eth0"
  virtual_router_id = 63
  virtual_ips       = ["fd00:62::100/128"]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}

vrrp_sync_group "VG_DUAL" {
  instances = [vrrp_instance.VI_4, vrrp_instance.VI_6]
}

virtual_server "web6" {
  address    = "[fd00:62::100]:80"
  mode       = "dr"
  scheduler  = "rr"
  managed_by = "keepalived"
  directors  = [host.lb1, host.lb2]

  real_server "fd00:62::21" {
    check {
      type            = "tcp"
      connect_timeout = 3
    }
  }
  real_server "fd00:62::22" {
    check {
      type            = "tcp"
      connect_timeout = 3
    }
  }
}
