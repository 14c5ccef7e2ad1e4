# A mark matches packets of any protocol. keepalived 2.2.7: "Virtual server
# FWM 7: protocol specified for fwmark - protocol will be ignored", exit 5.
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
  fwmark    = 7
  protocol  = "udp" # ERROR: protocol with fwmark
  directors = [host.dir]

  real_server "rs1" {}
}
