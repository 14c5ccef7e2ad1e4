host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  interface "ens37" {
    addresses = ["192.168.47.128/24"]
  }
}

virtual_server "web" {
  address   = "192.168.47.128:80"
  directors = [host.dir]

  real_server "rs9" { # ERROR: Reference to undeclared host
    port = 80
  }
}
