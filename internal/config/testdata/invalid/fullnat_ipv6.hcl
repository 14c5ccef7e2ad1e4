# fullnat adds an IPv4 SNAT rule; the renderer cannot render it for IPv6.
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
  address   = "[fd00:19::100]:80" # ERROR: fullnat needs IPv4
  mode      = "fullnat"
  directors = [host.dir]

  real_server "rs1" {
    port = 80
  }
}
