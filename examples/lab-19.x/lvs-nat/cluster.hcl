# Lab B of the seed (sections 18.9-18.10): LVS in NAT mode with one
# director and two nginx real servers. The director is the real servers'
# default gateway; clients reach the service on the director's external
# address 192.168.47.128:80.
#
# What the seed's lvs_nat.sh did, and where it lives here:
#   ip_forward=1, send_redirects=0 (all, default, ens33, ens37)
#                                   -> implied by mode = "nat" on the director
#   iptables -t nat -A POSTROUTING -s 192.168.19.0/24 -j MASQUERADE
#                                   -> implied by mode = "nat" (in clusterctl's own chain;
#                                      the seed's `iptables -t nat -F` is not repeated:
#                                      rules clusterctl did not write are left alone)
#   ipvsadm -C; ipvsadm -A -t 192.168.47.128:80 -s wlc -p 3
#                                   -> the virtual_server below (no flush: minimal edits)
#   ipvsadm -a ... -r 192.168.19.10x:80 -m -w 1
#                                   -> its real_server blocks
#   RS gateway 192.168.19.101       -> implied by mode = "nat"

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
  # The seed's page. CentOS's nginx (the seed's) serves /usr/share/nginx/html;
  # Debian's (the local lab's) serves /var/www/html: write both.
  file "/usr/share/nginx/html/index.html" {
    content = "RS1------RS1\n"
  }
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
  # The seed's page. CentOS's nginx (the seed's) serves /usr/share/nginx/html;
  # Debian's (the local lab's) serves /var/www/html: write both.
  file "/usr/share/nginx/html/index.html" {
    content = "RS2------RS2\n"
  }
  file "/var/www/html/index.html" {
    content = "RS2------RS2\n"
  }
}

virtual_server "web" {
  address     = "192.168.47.128:80"
  protocol    = "tcp"
  mode        = "nat"
  scheduler   = "wlc"
  persistence = 3 # seconds: one client sticks to one real server for 3 s
  directors   = [host.dir]

  real_server "rs1" {
    port   = 80
    weight = 1
  }
  real_server "rs2" {
    port   = 80
    weight = 1
  }
}
