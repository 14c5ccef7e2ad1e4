# virtual_route and virtual_rule as keepalived 2.2.7 and the kernel take
# them; notify_fifo paths.
keepalived {
  notify_fifo        = "relative.fifo" # ERROR: Invalid notify_fifo
  notify_fifo_script = "/usr/local/sbin/fifo reader" # ERROR: Invalid notify_fifo_script
}

host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ips       = ["192.168.50.100/24"]
  member "lb1" { priority = 100 }

  virtual_route {
    to  = "10.9.0.1/16" # ERROR: Route destination with host bits
  }
  virtual_route {
    to  = "10.9.0.0/16"
    via = "fd00::1" # ERROR: Route of two address families
  }
  virtual_route {
    to   = "10.8.0.0/16"
    type = "blackhole" # ERROR: Typed route with a next hop
    dev  = "eth0"
  }
  virtual_route {
    to    = "10.7.0.0/16"
    type  = "anycast" # ERROR: Invalid route type
    scope = "galaxy" # ERROR: Invalid scope
    table = 0 # ERROR: Value out of range
  }
  virtual_rule {
    from = "10.9.0.0/16"
    to   = "fd00::/64" # ERROR: Rule of two address families
    table = 100
  }
  virtual_rule { # ERROR: Missing required argument
    from = "10.9.0.0/16"
  }
}
