# Values keepalived 2.2.7 rejects or ignores in the checkers.
host "dir" {
  interface "eth0" {
    addresses = ["192.168.19.101/24"]
  }
}

virtual_server "web" {
  address    = "192.168.19.101:80"
  managed_by = "keepalived"
  directors  = [host.dir]

  real_server "192.168.19.21" {
    check {
      type   = "ssl"
      digest = "not-an-md5" # ERROR: Invalid digest
    }
  }
  real_server "192.168.19.22" {
    check {
      type     = "dns"
      dns_type = "SRV" # ERROR: Invalid dns_type
      dns_name = "a..b" # ERROR: Invalid dns_name
    }
  }
  real_server "192.168.19.23" {
    check {
      type    = "udp"
      payload = "00ff" # ERROR: Invalid payload
      reply   = "0a" # ERROR: reply without require_reply
    }
  }
  real_server "192.168.19.24" {
    check {
      type       = "tcp"
      connect_ip = "192.168.19.24"
      bindto     = "fd00::1" # ERROR: bindto and connect_ip of different families
    }
  }
  real_server "192.168.19.25" {
    check {
      type       = "file"
      track_file = track_file.nope # ERROR: Reference to undeclared track_file
      reverse    = true # ERROR: reverse without weight
    }
  }
  real_server "192.168.19.26" {
    check { # ERROR: Missing track_file
      type = "file"
    }
  }
  real_server "192.168.19.28" {
    check {
      type     = "dns"
      dns_name = "a.example.org" # ERROR: Invalid dns_name
    }
  }
  real_server "192.168.19.27" {
    check {
      type      = "smtp"
      helo_name = "-bad-" # ERROR: Invalid helo_name
    }
  }
}
