# FULLNAT, mentioned by the seed (link only). Stock Linux has no FULLNAT
# forwarding method; the same effect is IPVS NAT plus source NAT of the
# forwarded packets on the director:
#   iptables -t nat -A POSTROUTING -m ipvs --vaddr VIP --vport PORT -j SNAT --to-source DIP
# and net.ipv4.vs.conntrack=1 so netfilter tracks IPVS connections. The
# real servers then see the director's internal address as the client and
# need no route back to the real client (no gateway setting at all).

defaults {
  user = "root"
}

host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"] # internal
  }
  interface "ens37" {
    addresses = ["192.168.47.128/24"] # external
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
  packages = ["nginx"]
  services = ["nginx"]
  file "/var/www/html/index.html" {
    content = "RS1------RS1\n"
  }
}

host "rs2" {
  interface "ens33" {
    addresses = ["192.168.19.103/24"]
  }
  packages = ["nginx"]
  services = ["nginx"]
  file "/var/www/html/index.html" {
    content = "RS2------RS2\n"
  }
}

virtual_server "web" {
  address      = "192.168.47.128:80"
  mode         = "fullnat"
  scheduler    = "rr"
  snat_address = "192.168.19.101"
  directors    = [host.dir]

  real_server "rs1" {
    port = 80
  }
  real_server "rs2" {
    port = 80
  }
}
