# keepalived 2.2.7: "quorum 1 for [192.168.19.100]:tcp:80 exceeds total
# weight of real servers 0, reducing quorum to 0", exit 5.
host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24", "fd00:19::101/64"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24", "fd00:19::102/64"]
  }
}

virtual_server "web" { # ERROR: Every real server has weight 0
  address    = "192.168.19.100:80"
  managed_by = "keepalived"
  directors  = [host.dir]

  real_server "rs1" {
    port   = 80
    weight = 0
  }
  real_server "192.168.19.103" {
    port   = 80
    weight = 0
  }
}
