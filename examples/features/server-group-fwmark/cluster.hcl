# virtual_server_group: one keepalived virtual_server serving several
# virtual addresses (a range of the last octet too) or several firewall
# marks, with one set of real servers and checks. Two groups on a
# director pair in DR mode:
#
#   "web":    192.168.61.100:80 and 192.168.61.110-112:80 (the VRRP VIPs)
#   "marked": packets marked 1 or 2 by the directors' firewall, e.g.
#             iptables -t mangle -A PREROUTING -d 192.168.61.120 -p tcp \
#               -m multiport --dports 80,443 -j MARK --set-mark 1
#             (clusterctl does not write those rules).

variable "vrrp_password" {
  type      = string
  sensitive = true
  default   = "gR4m8w1z"
}

defaults {
  user = "root"
}

keepalived {
  router_id = "GROUPS"
}

host "lb1" {
  interface "eth0" {
    addresses = ["192.168.61.11/24"]
  }
}

host "lb2" {
  interface "eth0" {
    addresses = ["192.168.61.12/24"]
  }
}

vrrp_instance "VI_WEB" {
  interface         = "eth0"
  virtual_router_id = 61
  advert_int        = 1
  auth_pass         = var.vrrp_password
  virtual_ips = [
    "192.168.61.100/32", "192.168.61.110/32", "192.168.61.111/32",
    "192.168.61.112/32", "192.168.61.120/32",
  ]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}

virtual_server_group "web" {
  addresses = ["192.168.61.100:80", "192.168.61.110-112:80"]
}

virtual_server_group "marked" {
  fwmarks = [1, 2]
}

virtual_server "web" {
  group      = virtual_server_group.web
  mode       = "dr"
  scheduler  = "rr"
  managed_by = "keepalived"
  directors  = [host.lb1, host.lb2]

  real_server "192.168.61.21" {
    port = 80
    check {
      type = "http"
      path = "/"
    }
  }
  real_server "192.168.61.22" {
    port = 80
    check {
      type = "http"
      path = "/"
    }
  }
}

# A group of marks is a firewall-mark service: its real servers have no
# port (packets keep theirs), and the checks say which port to try.
virtual_server "marked" {
  group       = virtual_server_group.marked
  mode        = "dr"
  scheduler   = "wlc"
  persistence = 300
  managed_by  = "keepalived"
  directors   = [host.lb1, host.lb2]

  real_server "192.168.61.21" {
    inhibit_on_failure = true
    check {
      type         = "tcp"
      connect_port = 443
    }
  }
  real_server "192.168.61.22" {
    inhibit_on_failure = true
    check {
      type         = "tcp"
      connect_port = 443
    }
  }
}
