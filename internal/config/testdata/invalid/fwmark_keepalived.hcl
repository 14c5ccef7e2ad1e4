# clusterctl renders "protocol TCP" in every keepalived virtual_server
# block; for a fwmark service keepalived 2.2.7 says "protocol specified for
# fwmark - protocol will be ignored" and keepalived -t exits 5.
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
  fwmark     = 7
  mode       = "dr"
  managed_by = "keepalived" # ERROR: fwmark service managed by keepalived
  directors = [host.dir]

  real_server "rs1" {}
}
