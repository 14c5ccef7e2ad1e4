# Only known net.ipv4.vs settings, each within its range.
host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

ipvs {
  sysctls = {
    expire_nodest_conn = 1
    sloppy_tpc         = 1 # ERROR: Unknown IPVS sysctl
    conn_reuse_mode    = 9 # ERROR: Value out of range
  }
  timeout_tcp = 0 # ERROR: Value out of range
}

virtual_server "web" {
  address   = "192.168.19.100:80"
  directors = [host.dir]

  real_server "192.168.19.102" {}
}
