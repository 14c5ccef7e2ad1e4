# How a virtual_server may serve a virtual_server_group.
host "dir" {
  interface "eth0" {
    addresses = ["192.168.19.101/24"]
  }
}

virtual_server_group "web" {
  addresses = ["192.168.19.101:80"]
}

virtual_server_group "web2" {
  addresses = ["192.168.19.101:81"]
}

virtual_server_group "marks" {
  fwmarks = [7]
}

virtual_server "undeclared" {
  group      = virtual_server_group.nope # ERROR: Reference to undeclared virtual_server_group
  managed_by = "keepalived"
  directors  = [host.dir]
  real_server "192.168.19.21" {
    port = 80
  }
}

virtual_server "both" {
  address    = "192.168.19.101:443"
  group      = virtual_server_group.web # ERROR: Conflicting virtual server identity
  managed_by = "keepalived"
  directors  = [host.dir]
  real_server "192.168.19.21" {
    port = 80
  }
}

virtual_server "ipvsadm" {
  group     = virtual_server_group.web2 # ERROR: virtual_server_group needs keepalived
  protocol  = "udp"
  directors = [host.dir]
  real_server "192.168.19.21" {
    port = 80
  }
}

virtual_server "marked" {
  group      = virtual_server_group.marks
  protocol   = "tcp" # ERROR: protocol with fwmark
  managed_by = "keepalived"
  mode       = "fullnat" # ERROR: fullnat with a virtual_server_group
  directors  = [host.dir]
  real_server "192.168.19.21" {
    port = 80 # ERROR: Real server port in a fwmark group
  }
}

virtual_server "noport" {
  group      = virtual_server_group.web
  protocol   = "udp"
  managed_by = "keepalived"
  mode       = "dr"
  directors  = [host.dir]
  real_server "192.168.19.21" { # ERROR: Missing port
  }
}

virtual_server "static" {
  address   = "192.168.19.101:8080"
  alpha     = true # ERROR: alpha needs keepalived
  directors = [host.dir]
  real_server "192.168.19.21" {
    inhibit_on_failure = true # ERROR: inhibit_on_failure needs keepalived
  }
}

virtual_server_group "ports" {
  addresses = ["192.168.19.101:90", "192.168.19.101:91"]
}

virtual_server "dr_ports" {
  group      = virtual_server_group.ports
  managed_by = "keepalived"
  mode       = "dr"
  directors  = [host.dir]
  real_server "192.168.19.21" {
    port = 90 # ERROR: Real server port differs in dr mode
  }
}

virtual_server_group "sorry" {
  addresses = ["192.168.19.101:92"]
}

virtual_server "sorry" {
  group        = virtual_server_group.sorry
  managed_by   = "keepalived"
  sorry_server = "192.168.19.50:92" # ERROR: sorry_server with a virtual_server_group
  directors    = [host.dir]
  real_server "192.168.19.21" {
    port = 92
  }
}
