# Each checker takes its own keywords; keepalived -t rejects the others
# ("Unknown keyword").
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
      type      = "tcp"
      helo_name = "mx.example.org" # ERROR: helo_name on a tcp check
    }
  }
  real_server "192.168.19.22" {
    check {
      type         = "ping"
      connect_port = 80 # ERROR: connect_port on a ping check
    }
  }
  real_server "192.168.19.23" {
    check {
      type    = "file"
      retry   = 3 # ERROR: retry on a file check
      track_file = track_file.flag
    }
  }
  real_server "192.168.19.24" {
    check {
      type   = "http"
      digest = "9b3a0c85a887a256d6939da88aabd8cd"
      payload = "0102" # ERROR: payload on a http check
    }
  }
  real_server "192.168.19.25" {
    check {
      type = "lb" # ERROR: Invalid check type
    }
  }
}

track_file "flag" {
  file = "/var/run/flag"
}
