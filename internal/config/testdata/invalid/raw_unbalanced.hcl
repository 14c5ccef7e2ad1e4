# Raw lines stand inside one block: their braces balance, quotes close.
keepalived {
  raw_blocks = <<-EOT
    static_routes { # ERROR: Raw lines do not parse
      10.0.0.0/8 via 192.168.19.1
  EOT
}

host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100/24"]
  raw               = <<-EOT
    garp_master_refresh 10
    } # ERROR: Raw lines do not parse
  EOT
  member "dir" {
    priority = 100
  }
}

vrrp_instance "VI_2" {
  interface         = "ens33"
  virtual_router_id = 52
  virtual_ips       = ["192.168.19.200/24"]
  raw               = "notify_deleted \"/bin/true" # ERROR: Raw lines do not parse
  member "dir" {
    priority = 100
  }
}
