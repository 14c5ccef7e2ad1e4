host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  gateway = "10.0.0.1" # ERROR: Unreachable gateway
}
