host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "web2" {
  address = "10.0.0.2"
  interface "ens33" {
    addresses = ["192.168.19.101/24"] # ERROR: Duplicate address
  }
}
