host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  interface "ens33" { # ERROR: Duplicate interface block
    addresses = ["192.168.19.111/24"]
  }
}
