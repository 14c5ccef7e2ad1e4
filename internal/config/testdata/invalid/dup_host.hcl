host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "web2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

host "web1" { # ERROR: Duplicate host block
  address = "192.168.19.103"
}
