host "web1" {
  address = "192.168.19.101"
  port    = 0 # ERROR: Value out of range
}
