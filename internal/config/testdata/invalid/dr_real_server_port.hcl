# keepalived 2.2.7: "virtual server [192.168.19.100]:tcp:80 and real server
# [192.168.19.102]:tcp:8080 ports don't match - resetting", exit 5.
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
  mode       = "dr"
  managed_by = "keepalived"
  directors = [host.dir]

  real_server "rs1" {
    port = 8080 # ERROR: Real server port differs in dr mode
  }
}
