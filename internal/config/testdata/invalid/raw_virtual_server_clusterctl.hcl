# A virtual server clusterctl manages with ipvsadm has no keepalived block
# for raw lines to go into.
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

virtual_server "web" {
  address   = "192.168.19.100:80"
  directors = [host.dir]
  raw       = "quorum 1" # ERROR: raw needs keepalived

  real_server "rs1" {
    port = 80
  }
}
