# Raw keepalived lines may not set what clusterctl renders into the same
# block from its model (spelt as written, or in keepalived 1.x's way).
keepalived {
  raw = <<-EOT
    vrrp_garp_master_refresh 60
    router_id other # ERROR: Raw lines repeat a modelled keyword
  EOT
  raw_blocks = <<-EOT
    static_ipaddress {
      192.168.19.50/24 dev ens33
    }
    vrrp_instance VI_2 { # ERROR: Raw lines repeat a modelled keyword
      interface ens33
    }
  EOT
}

host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100/24"]
  raw               = <<-EOT
    garp_master_refresh 10
    priority 50 # ERROR: Raw lines repeat a modelled keyword
  EOT
  member "dir" {
    priority = 100
  }
}

virtual_server "web" {
  address    = "192.168.19.100:80"
  managed_by = "keepalived"
  directors  = [host.dir]
  raw        = <<-EOT
    quorum 1
    lb_algo rr # ERROR: Raw lines repeat a modelled keyword
    real_server 192.168.19.103 80 { # ERROR: Raw lines repeat a modelled keyword
      weight 1
    }
  EOT

  real_server "rs1" {
    port = 80
  }
}
