# clusterctl adds a virtual address a director neither has nor gets from
# VRRP on the interface whose subnet holds it; with none, render failed
# (without file:line) after validate had only warned.
host "dir" {
  interface "eth0" {
    addresses = ["10.10.0.10/25"]
  }
}

virtual_server "web" {
  address   = "10.10.0.200:80" # ERROR: Virtual address off the director's subnets
  directors = [host.dir]
  real_server "10.10.0.21" {}
}

virtual_server_group "far" {
  addresses = ["10.10.0.100:81", "10.10.0.126-129:81"]
}

virtual_server "grouped" {
  group      = virtual_server_group.far # ERROR: Virtual address off the director's subnets
  managed_by = "keepalived"
  directors  = [host.dir]
  real_server "10.10.0.21" {
    port = 81
  }
}
