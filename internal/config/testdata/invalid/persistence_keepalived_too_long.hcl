# keepalived 2.2.7: "number '2678401' outside range [1, 2678400]",
# "persistence_timeout invalid", exit 5.
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
  address     = "192.168.19.100:80"
  managed_by  = "keepalived"
  persistence = 2678401 # ERROR: persistence too long for keepalived
  directors = [host.dir]

  real_server "rs1" {
    port = 80
  }
}
