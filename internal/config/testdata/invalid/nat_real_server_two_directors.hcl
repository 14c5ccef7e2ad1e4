# A NAT real server routes through its director; two virtual servers with
# different directors would need two default routes (render fails:
# "conflicting desired state").
host "dir1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "dir2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.103/24"]
  }
}

virtual_server "api" {
  address   = "192.168.19.101:80"
  directors = [host.dir1]
  real_server "rs1" {}
}

virtual_server "web" {
  address   = "192.168.19.102:80"
  directors = [host.dir2]
  real_server "rs1" {} # ERROR: NAT real server of two directors
}
