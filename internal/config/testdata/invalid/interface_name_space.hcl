host "web1" {
  address = "192.168.19.101"
  interface "ens 33" { # ERROR: Invalid interface name
    addresses = ["192.168.19.101/24"]
  }
}
