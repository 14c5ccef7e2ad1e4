# LVS direct routing (DR), which the seed explains but does not build.
# The director rewrites only the destination MAC address; every real
# server carries the VIP on lo (so it accepts the packet) and must not
# answer ARP for it (arp_ignore=1, arp_announce=2). Replies go straight
# from the real servers to the client, so the director and the real
# servers must share one layer-2 segment. clusterctl derives all of this
# from mode = "dr".
#
# The director holds the VIP through keepalived (a one-member VRRP
# instance), so adding a second director later is one member block.

defaults {
  user = "root"
}

host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
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

vrrp_instance "VI_DR" {
  interface         = "ens33"
  virtual_router_id = 52
  virtual_ips       = ["192.168.19.200/32"]
  member "dir" {
    priority = 100
  }
}

virtual_server "web" {
  address   = "192.168.19.200:80"
  mode      = "dr"
  scheduler = "rr"
  directors = [host.dir]

  real_server "rs1" {
    port = 80
  }
  real_server "rs2" {
    port = 80
  }
}
