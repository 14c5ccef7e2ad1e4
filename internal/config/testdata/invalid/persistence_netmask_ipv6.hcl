# keepalived 2.2.7 on an IPv6 service: "invalid number '255.255.255.0'",
# "Invalid IPv6 persistence_granularity specified", exit 5.
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
  address             = "[fd00:19::100]:80"
  persistence         = 300
  persistence_netmask = "255.255.255.0" # ERROR: persistence_netmask needs an IPv4 service
  directors = [host.dir]

  real_server "rs1" {
    port = 80
  }
}
