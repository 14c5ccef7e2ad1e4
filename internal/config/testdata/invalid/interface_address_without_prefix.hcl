host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101"] # ERROR: Invalid address
  }
  address = "192.168.19.101"
}
