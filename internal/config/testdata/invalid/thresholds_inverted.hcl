host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  interface "ens37" {
    addresses = ["192.168.47.128/24"]
  }
}

host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

virtual_server "web" {
  address   = "192.168.47.128:80"
  directors = [host.dir]

  real_server "rs1" {
    port            = 80
    upper_threshold = 10
    lower_threshold = 20 # ERROR: Invalid thresholds
  }
}
