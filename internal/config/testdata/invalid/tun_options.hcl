# Tunnel encapsulation: tun mode only; GUE needs a port; GRE has none and
# no remote checksum.
host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

virtual_server "dr" {
  address   = "192.168.19.100:80"
  mode      = "dr"
  tun_type  = "gue" # ERROR: tun_type needs mode tun
  directors = [host.dir]

  real_server "192.168.19.103" {}
}

virtual_server "gue" {
  address   = "192.168.19.100:81"
  mode      = "tun"
  tun_type  = "gue" # ERROR: GUE without tun_port
  directors = [host.dir]

  real_server "192.168.19.103" {}
}

virtual_server "gre" {
  address      = "192.168.19.100:82"
  mode         = "tun"
  tun_type     = "gre"
  tun_port     = 6080  # ERROR: tun_port with gre
  tun_checksum = "remcsum" # ERROR: remcsum with gre
  directors    = [host.dir]

  real_server "192.168.19.103" {}
}

virtual_server "ipip" {
  address      = "192.168.19.100:83"
  mode         = "tun"
  tun_checksum = "csum" # ERROR: tun_checksum needs gue or gre
  directors    = [host.dir]

  real_server "192.168.19.103" {}
}
