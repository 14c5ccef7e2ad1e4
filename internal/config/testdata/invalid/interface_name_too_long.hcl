host "web1" {
  address = "192.168.19.101"
  interface "enp0s31f6-vlan100" { # ERROR: Invalid interface name
    addresses = ["192.168.19.101/24"]
  }
}
