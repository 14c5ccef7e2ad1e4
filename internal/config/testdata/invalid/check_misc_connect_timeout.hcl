# keepalived 2.2.7's MISC_CHECK: "Unknown keyword 'connect_timeout'", exit 5.
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
  managed_by = "keepalived"
  directors = [host.dir]

  real_server "rs1" {
    port = 80
    check {
      type            = "misc"
      misc_path       = "/usr/local/sbin/check-web"
      connect_timeout = 3 # ERROR: connect_timeout on a misc check
    }
  }
}
