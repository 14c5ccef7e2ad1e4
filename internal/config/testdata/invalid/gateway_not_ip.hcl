host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  gateway = "router" # ERROR: Invalid IP address
}
