# keepalived 2.2.7: "Address family of virtual server and sorry server
# 192.168.19.110 don't match - skipping sorry server.", exit 5.
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
  address      = "[fd00:19::100]:80"
  managed_by   = "keepalived"
  sorry_server = "192.168.19.110:80" # ERROR: Sorry server of another address family
  directors = [host.dir]

  real_server "rs1" {
    port = 80
  }
}
