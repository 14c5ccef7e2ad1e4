host "web1" {
  address = "192.168.19.101"
}

host "web2" {
  address = "192.168.19.101" # ERROR: Duplicate host address
}
