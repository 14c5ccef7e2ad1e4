# LVS IP tunnelling (TUN), which the seed explains but does not build.
# The director encapsulates each request in IP-in-IP to a real server; the
# real server decapsulates it on tunl0, where it carries the VIP, and
# answers the client directly. Real servers need the ipip module, tunl0 up
# with the VIP, rp_filter=0 (on all and tunl0) and must not answer ARP for
# the VIP. Unlike DR, real servers may sit on other subnets.

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

vrrp_instance "VI_TUN" {
  interface         = "ens33"
  virtual_router_id = 53
  virtual_ips       = ["192.168.19.210/32"]
  member "dir" {
    priority = 100
  }
}

virtual_server "web" {
  address   = "192.168.19.210:80"
  mode      = "tun"
  scheduler = "wrr"
  directors = [host.dir]

  real_server "rs1" {
    port   = 80
    weight = 2
  }
  real_server "rs2" {
    port   = 80
    weight = 1
  }
}
