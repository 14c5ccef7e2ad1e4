# clusterctl prepares IP-in-IP decapsulation on real server hosts, not GRE.
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

virtual_server "gre" {
  address   = "192.168.19.100:82"
  mode      = "tun"
  tun_type  = "gre" # ERROR: Real server host cannot decapsulate gre
  directors = [host.dir]

  real_server "rs1" {}
}
