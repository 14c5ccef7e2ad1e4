# virtual_server_group entries keepalived 2.2.7 rejects or serves
# otherwise than written.
host "dir" {
  interface "eth0" {
    addresses = ["192.168.19.101/24"]
  }
}

virtual_server_group "both" {
  addresses = ["192.168.19.101:80"]
  fwmarks   = [1] # ERROR: Addresses and marks in one virtual_server_group
}

virtual_server_group "bad" {
  addresses = [
    "192.168.19.101:80",
    "fd00::1:80", # ERROR: Invalid group address
    "[fd00::1]:80", # ERROR: Mixed address families
    "192.168.19.110-105:80", # ERROR: Invalid group address
    "192.168.19.100-102:80", # ERROR: Duplicate group entry
    "192.168.19.120:0", # ERROR: Invalid group address
  ]
}

virtual_server_group "marks" {
  fwmarks = [1, 0, 1] # ERROR: Invalid fwmark
}

virtual_server_group "empty" { # ERROR: Empty virtual_server_group
}

virtual_server "a" {
  group      = virtual_server_group.bad
  managed_by = "keepalived"
  directors  = [host.dir]
  real_server "192.168.19.21" {
    port = 80
  }
}

virtual_server "b" {
  group      = virtual_server_group.both
  managed_by = "keepalived"
  directors  = [host.dir]
  real_server "192.168.19.21" {
    port = 80
  }
}

virtual_server "c" {
  group      = virtual_server_group.marks
  managed_by = "keepalived"
  directors  = [host.dir]
  real_server "192.168.19.21" {}
}

virtual_server "d" {
  group      = virtual_server_group.empty
  managed_by = "keepalived"
  directors  = [host.dir]
  real_server "192.168.19.21" {
    port = 80
  }
}
