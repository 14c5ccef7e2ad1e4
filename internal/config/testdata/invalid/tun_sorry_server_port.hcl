# keepalived 2.2.7: "virtual server [192.168.19.100]:tcp:80 and sorry
# server ports don't match - resetting", exit 5.
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
  address      = "192.168.19.100:80"
  mode         = "tun"
  managed_by   = "keepalived"
  sorry_server = "192.168.19.110:8080" # ERROR: sorry_server port differs in tun mode
  directors = [host.dir]

  real_server "rs1" {
    port = 80
  }
}
