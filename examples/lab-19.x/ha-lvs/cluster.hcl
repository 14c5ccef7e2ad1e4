# The two halves of the seed combined, as run in production: a pair of
# directors shares the VIP through VRRP, and keepalived itself manages the
# IPVS table (virtual_server in keepalived.conf) with health checks on the
# real servers, so a dead nginx drops out of the table and a dead director
# hands the VIP to its peer. Direct routing keeps the pair symmetric: no
# internal gateway VIP is needed.

variable "vrrp_password" {
  type      = string
  sensitive = true
  default   = "lvs-pair"
}

defaults {
  user = "root"
}

keepalived {
  router_id = "LVS_PAIR"
}

host "lb1" {
  interface "ens33" {
    addresses = ["192.168.19.11/24"]
  }
}

host "lb2" {
  interface "ens33" {
    addresses = ["192.168.19.12/24"]
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

vrrp_instance "VI_LVS" {
  interface         = "ens33"
  virtual_router_id = 54
  advert_int        = 1
  auth_pass         = var.vrrp_password
  virtual_ips       = ["192.168.19.100/32"]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}

virtual_server "web" {
  address     = "192.168.19.100:80"
  mode        = "dr"
  scheduler   = "wlc"
  persistence = 0
  managed_by  = "keepalived"
  delay_loop  = 3
  directors   = [host.lb1, host.lb2]

  real_server "rs1" {
    port = 80
    check {
      type            = "http"
      path            = "/"
      status_code     = 200
      connect_timeout = 2
    }
  }
  real_server "rs2" {
    port = 80
    check {
      type            = "tcp"
      connect_timeout = 2
    }
  }
}
