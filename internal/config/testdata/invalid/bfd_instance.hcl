# bfd_instance blocks and the bfd checks that follow them.
host "dir" {
  interface "eth0" {
    addresses = ["192.168.19.101/24"]
  }
}

bfd_instance "a_name_longer_than_thirty_one_chars" { # ERROR: Invalid bfd_instance name
  neighbor_ip = "192.168.19.21"
}

bfd_instance "b" {
  neighbor_ip = "192.168.19.22"
  source_ip   = "fd00::1" # ERROR: source_ip and neighbor_ip of different families
  min_rx      = 0 # ERROR: Value out of range
  idle_tx     = 999 # ERROR: Value out of range
  multiplier  = 256 # ERROR: Value out of range
}

bfd_instance "c" {
  neighbor_ip = "192.168.19.22" # ERROR: Duplicate BFD neighbor
}

virtual_server "web" {
  address    = "192.168.19.101:80"
  managed_by = "keepalived"
  directors  = [host.dir]

  real_server "192.168.19.21" {
    check {
      type         = "bfd"
      bfd_instance = bfd_instance.nope # ERROR: Reference to undeclared bfd_instance
    }
  }
  real_server "192.168.19.22" {
    check { # ERROR: Missing bfd_instance
      type = "bfd"
    }
  }
  real_server "192.168.19.23" {
    check {
      type         = "bfd"
      bfd_instance = bfd_instance.b
      retry        = 2 # ERROR: retry on a bfd check
    }
  }
  real_server "192.168.19.24" {
    check {
      type         = "bfd"
      bfd_instance = bfd_instance.c
    }
  }
}
