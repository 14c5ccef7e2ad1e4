# A NAT director pair with two VRRP instances in a sync group: VI_EXT
# carries the service address on the client side, VI_INT the real
# servers' gateway on the server side. NAT replies must return through the
# director that took the request, so both addresses must always sit on
# the same director: the vrrp_sync_group moves them together (when one
# instance goes to BACKUP or FAULT, so does the other).

variable "vrrp_password" {
  type      = string
  sensitive = true
  default   = "sY5n3v6b"
}

defaults {
  user = "root"
}

keepalived {
  router_id = "SYNC_PAIR"
}

host "lb1" {
  interface "eth0" {
    addresses = ["192.168.63.11/24"]
  }
  interface "eth1" {
    addresses = ["10.63.0.11/24"]
  }
}

host "lb2" {
  interface "eth0" {
    addresses = ["192.168.63.12/24"]
  }
  interface "eth1" {
    addresses = ["10.63.0.12/24"]
  }
}

host "app1" {
  interface "eth0" {
    addresses = ["10.63.0.21/24"]
  }
  gateway = "10.63.0.1" # VI_INT's address: the active director
}

host "app2" {
  interface "eth0" {
    addresses = ["10.63.0.22/24"]
  }
  gateway = "10.63.0.1"
}

vrrp_instance "VI_EXT" {
  interface         = "eth0"
  virtual_router_id = 63
  auth_pass         = var.vrrp_password
  virtual_ips       = ["192.168.63.100/32"]
  track_interface   = ["eth1"]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}

vrrp_instance "VI_INT" {
  interface         = "eth1"
  virtual_router_id = 64
  auth_pass         = var.vrrp_password
  virtual_ips       = ["10.63.0.1/24"]
  track_interface   = ["eth0"]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}

vrrp_sync_group "VG_LB" {
  instances = [vrrp_instance.VI_EXT, vrrp_instance.VI_INT]
}

virtual_server "web" {
  address    = "192.168.63.100:80"
  mode       = "nat"
  scheduler  = "wlc"
  managed_by = "keepalived"
  directors  = [host.lb1, host.lb2]

  real_server "app1" {
    port = 8080
    check {
      type = "http"
      path = "/"
    }
  }
  real_server "app2" {
    port = 8080
    check {
      type = "http"
      path = "/"
    }
  }
}
