# ha-lvs (examples/lab-19.x/ha-lvs) with connection sync: the directors
# run the kernel's IPVS sync daemon, which follows VRRP_LVS's state (the
# master sends every connection it directs, the backup takes them into
# its own table). When the master dies, the backup that takes the VIP
# already knows each established connection and its real server, so
# clients keep their connections (the VM lane's "sync" scenario proves it
# with a download held across the failover, and shows the same download
# broken without the sync daemon).

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

  # keepalived's global "lvs_sync_daemon ens33 VI_LVS id 54": the sync
  # daemons multicast to 224.0.0.81 on the directors' network.
  lvs_sync_daemon {
    sync_id = 54
  }

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
