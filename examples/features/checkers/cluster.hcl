# Every keepalived real server checker, one per real server, on a director
# pair in DR mode. Each check block renders the keepalived checker named in
# its comment; docs/configuration.md lists every attribute with the
# keyword it renders to. BFD_CHECK needs keepalived 2.0.0 or newer;
# PING_CHECK, UDP_CHECK and FILE_CHECK need
# keepalived 2.1.0 or newer (UDP_CHECK's payload 2.2.0): plan refuses an
# older director's keepalived.

variable "vrrp_password" {
  type      = string
  sensitive = true
  default   = "cK7p2x9q"
}

defaults {
  user = "root"
}

keepalived {
  router_id = "CHECKERS"
}

host "lb1" {
  interface "eth0" {
    addresses = ["192.168.60.11/24"]
  }
}

host "lb2" {
  interface "eth0" {
    addresses = ["192.168.60.12/24"]
  }
}

vrrp_instance "VI_CHK" {
  interface         = "eth0"
  virtual_router_id = 60
  advert_int        = 1
  auth_pass         = var.vrrp_password
  virtual_ips       = ["192.168.60.100/32"]

  member "lb1" {
    priority = 100
  }
  member "lb2" {
    priority = 90
  }
}

# The number in this file (written by a deployment tool, say) times the
# check's weight is added to the real server's weight; FILE_CHECK reads it.
track_file "drain_rs9" {
  file   = "/var/run/clusterctl-drain-rs9"
  weight = 1
}

# A BFD session with a real server; BFD_CHECK follows it (keepalived
# built with BFD, 2.0.0 or newer; the real server runs a BFD daemon).
bfd_instance "rs10" {
  neighbor_ip = "192.168.60.30"
  min_rx      = 100
  min_tx      = 100
  multiplier  = 3
}

virtual_server "web" {
  address    = "192.168.60.100:80"
  mode       = "dr"
  scheduler  = "wlc"
  managed_by = "keepalived"
  delay_loop = 5
  alpha      = true # real servers start failed until their check passes
  omega      = true
  directors  = [host.lb1, host.lb2]

  # TCP_CHECK: a TCP connection to the real server's port.
  real_server "192.168.60.21" {
    inhibit_on_failure = true # weight 0 on failure, connections kept
    check {
      type               = "tcp"
      connect_timeout    = 3
      retry              = 2
      delay_before_retry = 1
      warmup             = 5
    }
  }
  # HTTP_GET: the page's status code.
  real_server "192.168.60.22" {
    check {
      type        = "http"
      path        = "/health"
      status_code = 200
    }
  }
  # SSL_GET: the same over TLS, here on port 443, with the page's MD5.
  real_server "192.168.60.23" {
    check {
      type         = "ssl"
      path         = "/"
      digest       = "9b3a0c85a887a256d6939da88aabd8cd"
      connect_port = 443
      bindto       = "192.168.60.100"
    }
  }
  # DNS_CHECK: a resolver on the real server answers an A query.
  real_server "192.168.60.24" {
    check {
      type         = "dns"
      dns_type     = "A"
      dns_name     = "example.org"
      connect_port = 53
    }
  }
  # SMTP_CHECK: an SMTP server answers HELO.
  real_server "192.168.60.25" {
    check {
      type         = "smtp"
      helo_name    = "lb.example.org"
      connect_port = 25
    }
  }
  # PING_CHECK: an ICMP echo.
  real_server "192.168.60.26" {
    check {
      type            = "ping"
      connect_timeout = 2
    }
  }
  # UDP_CHECK: a datagram, and the reply the service must send.
  real_server "192.168.60.27" {
    check {
      type          = "udp"
      connect_port  = 5353
      payload       = "0001 0203"
      require_reply = true
      reply         = "0a0b"
    }
  }
  # MISC_CHECK: a command; exit 0 is up.
  real_server "192.168.60.28" {
    check {
      type      = "misc"
      misc_path = "/usr/local/sbin/check-web 192.168.60.28"
    }
  }
  # FILE_CHECK: the track_file above decides the weight.
  real_server "192.168.60.29" {
    check {
      type       = "file"
      track_file = track_file.drain_rs9
      weight     = -1
    }
  }
  # BFD_CHECK: the real server is up while the BFD session is.
  real_server "192.168.60.30" {
    check {
      type         = "bfd"
      bfd_instance = bfd_instance.rs10
    }
  }
}
