# Raw lines stay in the configuration: no include (nested ones too) and
# no preprocessor lines that change how keepalived reads the file.
keepalived {
  raw_blocks = <<EOT
garp_group {
  include /etc/keepalived/garp.conf # ERROR: include in raw lines
}
$IF=ens33 # ERROR: Preprocessor line in raw lines
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
    include /etc/keepalived/more.conf # ERROR: include in raw lines
  EOT
  member "dir" {
    priority = 100
  }
}
