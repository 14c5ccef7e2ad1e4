# keepalived 2.2.7: "Address family of virtual server and real server
# fd00:19::102 don't match - skipping real server.", exit 5.
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

virtual_server "web" {
  address    = "192.168.19.100:80"
  managed_by = "keepalived"
  directors = [host.dir]

  real_server "v6" {
    address = "fd00:19::102" # ERROR: Real server of another address family
    port    = 80
  }
}
