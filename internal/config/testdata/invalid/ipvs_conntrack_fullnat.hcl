# FULLNAT's SNAT rule matches IPVS connections through conntrack.
host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

ipvs {
  sysctls = {
    conntrack = 0 # ERROR: conntrack = 0 with fullnat
  }
}

virtual_server "web" {
  address   = "192.168.19.100:80"
  mode      = "fullnat"
  directors = [host.dir]

  real_server "192.168.19.102" {}
}
